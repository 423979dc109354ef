/** PassThrough: forwards what enters each sink pad to the source pad of the same kind and description. */
import { MediaElementImpl } from './media-element.js';

export class PassThroughImpl extends MediaElementImpl {}
