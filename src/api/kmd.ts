/**
 * Renders a module description in Kurento's interface-definition (kmd) JSON layout, which is
 * what `ServerManager.getKmd(module)` answers. Generated from the same description the server
 * runs on, so it can never disagree with the server's behaviour.
 */
import type { ApiCatalog, ClassInfo, ModuleInfo } from './catalog.js';
import { isEnumSpec } from './spec.js';
import { parseParam, type MethodDef, type ParamDef, type PropertyDef } from './signature.js';

function renderParam(p: ParamDef): Record<string, unknown> {
  return {
    name: p.name,
    doc: '',
    type: p.type.text,
    ...(p.optional ? { optional: true } : {}),
    ...(p.defaultValue !== undefined ? { defaultValue: p.defaultValue } : {}),
  };
}

function renderMethod(m: MethodDef): Record<string, unknown> {
  return {
    name: m.name,
    doc: '',
    params: m.params.map(renderParam),
    ...(m.returns ? { return: { type: m.returns.text, doc: '' } } : {}),
  };
}

function renderProperty(p: PropertyDef): Record<string, unknown> {
  return {
    name: p.name,
    doc: '',
    type: p.type.text,
    ...(p.final ? { final: true } : {}),
    ...(p.readOnly ? { readOnly: true } : {}),
    ...(p.defaultValue !== undefined ? { defaultValue: p.defaultValue } : {}),
  };
}

function renderClass(c: ClassInfo): Record<string, unknown> {
  return {
    name: c.name,
    doc: c.doc ?? '',
    ...(c.abstract ? { abstract: true } : {}),
    ...(c.parent ? { extends: c.parent.name } : {}),
    ...(c.ctor ? { constructor: { doc: '', params: c.ctor.map(renderParam) } } : {}),
    properties: [...c.properties.values()].map(renderProperty),
    methods: [...c.methods.values()].map(renderMethod),
    events: [...c.events],
  };
}

export function renderKmd(catalog: ApiCatalog, module: ModuleInfo): string {
  const spec = module.spec;
  const kmd = {
    name: spec.name,
    version: spec.version,
    kurentoVersion: `^${spec.version}`,
    imports: spec.name === 'core' ? [] : [{ name: 'core', version: `^${spec.version}` }],
    code: { implementation: { language: 'TypeScript', server: 'Kuroshio' } },
    remoteClasses: spec.classes.map((c) => renderClass(catalog.findClass(c.name)!)),
    complexTypes: (spec.types ?? []).map((t) =>
      isEnumSpec(t)
        ? { typeFormat: 'ENUM', name: t.name, doc: '', values: t.values }
        : {
            typeFormat: 'REGISTER',
            name: t.name,
            doc: '',
            ...(t.extends ? { extends: t.extends } : {}),
            properties: t.fields.map((f) => renderParam(parseParam(f))),
          },
    ),
    events: (spec.events ?? []).map((e) => ({
      name: e.name,
      doc: '',
      ...(e.extends ? { extends: e.extends } : {}),
      properties: (e.fields ?? []).map((f) => renderParam(parseParam(f))),
    })),
  };
  return JSON.stringify(kmd, null, 2);
}
