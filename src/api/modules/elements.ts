import type { ModuleSpec } from '../spec.js';

/** Module `elements`: the stock endpoints (WebRTC, RTP, player, recorder, HTTP) and hubs (composite, mixers, dispatchers). */
export const elements: ModuleSpec = {
  name: 'elements',
  namespace: 'kurento',
  version: '7.3.0',
  classes: [
    {
      name: 'AlphaBlending',
      extends: 'Hub',
      doc: 'A hub that layers the video of its ports over a master port, honouring transparency.',
      ctor: ['mediaPipeline: MediaPipeline'],
      methods: [
        'setMaster(source: HubPort, zOrder: int)',
        'setPortProperties(relativeX: float, relativeY: float, zOrder: int, relativeWidth: float, relativeHeight: float, port: HubPort)',
      ],
    },
    {
      name: 'Composite',
      extends: 'Hub',
      doc: 'A hub that tiles the video of all its ports into one grid and mixes their audio.',
      ctor: [
        'mediaPipeline: MediaPipeline',
        'width?: int = 800',
        'height?: int = 600',
        'framerate?: int = 15',
      ],
      // Kuroshio's own: the canvas can change while the Composite runs, and has a colour.
      properties: ['width: int = 800', 'height: int = 600', 'framerate: int = 15', "background: String = \"#000000\""],
    },
    {
      name: 'Dispatcher',
      extends: 'Hub',
      doc: 'A hub in which each output port can be fed from whichever input port the caller picks.',
      ctor: ['mediaPipeline: MediaPipeline'],
      methods: ['connect(source: HubPort, sink: HubPort)'],
    },
    {
      name: 'DispatcherOneToMany',
      extends: 'Hub',
      doc: 'A hub that broadcasts the media of one selected port to every other port.',
      ctor: ['mediaPipeline: MediaPipeline'],
      methods: ['setSource(source: HubPort)', 'removeSource()'],
    },
    {
      name: 'HttpPostEndpoint',
      extends: 'HttpEndpoint',
      doc: 'Takes in media uploaded by clients with HTTP POST requests.',
      ctor: [
        'mediaPipeline: MediaPipeline',
        'disconnectionTimeout?: int = 2',
        'useEncodedMedia?: boolean = false',
      ],
      events: ['EndOfStream'],
    },
    {
      name: 'HttpEndpoint',
      extends: 'SessionEndpoint',
      abstract: true,
      doc: 'An endpoint that exchanges media with clients over plain HTTP.',
      methods: ['getUrl(): String'],
    },
    {
      name: 'Mixer',
      extends: 'Hub',
      doc: 'A hub that combines the streams of chosen ports, per media type, towards other ports.',
      ctor: ['mediaPipeline: MediaPipeline'],
      methods: [
        'connect(media: MediaType, source: HubPort, sink: HubPort)',
        'disconnect(media: MediaType, source: HubPort, sink: HubPort)',
      ],
    },
    {
      name: 'PlayerEndpoint',
      extends: 'UriEndpoint',
      doc: 'Reads a file or network stream and feeds it into the pipeline.',
      ctor: [
        'mediaPipeline: MediaPipeline',
        'uri: String',
        'useEncodedMedia?: boolean = false',
        'networkCache?: int = 2000',
      ],
      properties: ['readonly videoInfo: VideoInfo', 'readonly elementGstreamerDot: String', 'position: int64'],
      methods: ['play()'],
      events: ['EndOfStream'],
    },
    {
      name: 'RecorderEndpoint',
      extends: 'UriEndpoint',
      doc: 'Writes the media it receives to a file or URI in a chosen container format.',
      ctor: [
        'mediaPipeline: MediaPipeline',
        'uri: String',
        'mediaProfile?: MediaProfileSpecType = "WEBM"',
        'stopOnEndOfStream?: boolean = false',
      ],
      methods: ['record()', 'stopAndWait()'],
      events: ['Recording', 'Paused', 'Stopped'],
    },
    {
      name: 'RtpEndpoint',
      extends: 'BaseRtpEndpoint',
      doc: 'Exchanges plain or SRTP-protected RTP with a peer, negotiated through SDP.',
      ctor: ['mediaPipeline: MediaPipeline', 'crypto?: SDES = {}', 'useIpv6?: boolean = false'],
      events: ['OnKeySoftLimit'],
    },
    {
      name: 'WebRtcEndpoint',
      extends: 'BaseRtpEndpoint',
      doc: 'Connects a browser or other WebRTC peer, handling ICE, DTLS-SRTP and data channels.',
      ctor: [
        'mediaPipeline: MediaPipeline',
        'recvonly?: boolean = false',
        'sendonly?: boolean = false',
        'useDataChannels?: boolean = false',
        'certificateKeyType?: CertificateKeyType = "RSA"',
        'qosDscp?: DSCPValue = "NO_VALUE"',
      ],
      properties: [
        'networkInterfaces: String',
        'iceTcp: boolean',
        'stunServerAddress: String',
        'stunServerPort: int',
        'turnUrl: String',
        'externalIPv4: String',
        'externalIPv6: String',
        'readonly ICECandidatePairs: IceCandidatePair[]',
        'readonly IceConnectionState: IceConnection[]',
        'readonly DtlsConnectionState: DtlsConnection[]',
        // Kuroshio's own: the highest simulcast layer (or VP9 SVC spatial layer) of a publisher
        // sent to this peer (0 is the lowest; -1, the default, lets its bandwidth decide).
        'maxSimulcastLayer: int = -1',
        // Kuroshio's own: the level (dBov, -127 to 0) of the peer's sound, as its packets carry it
        // (RFC 6464), at which SpeakingStateChanged says it speaks.
        'speakingThreshold: int = -50',
      ],
      methods: [
        'gatherCandidates()',
        'addIceCandidate(candidate: IceCandidate)',
        'createDataChannel(label?: String = "", ordered?: boolean = true, maxPacketLifeTime?: int = -1, maxRetransmits?: int = -1, protocol?: String = "")',
        'closeDataChannel(channelId: int)',
        // Kuroshio's own: the URL through which a WHIP client (RFC 9725) publishes into this
        // endpoint, or a WHEP client plays from it, with the bearer token it must present (not
        // empty). Calling again replaces the token. Served on the Kurento WebSocket's HTTP port.
        'getWhipUrl(bearerToken: String): String',
        'getWhepUrl(bearerToken: String): String',
      ],
      events: [
        'IceCandidateFound',
        'IceGatheringDone',
        'IceComponentStateChanged',
        'DtlsConnectionStateChange',
        'DataChannelOpened',
        'DataChannelClosed',
        'NewCandidatePairSelected',
        'SpeakingStateChanged',
      ],
    },
  ],
  events: [
    { name: 'EndOfStream', extends: 'Media' },
    { name: 'Recording', extends: 'Media' },
    { name: 'Paused', extends: 'Media' },
    { name: 'Stopped', extends: 'Media' },
    { name: 'OnKeySoftLimit', extends: 'Media', fields: ['mediaType: MediaType'] },
    { name: 'IceCandidateFound', extends: 'Media', fields: ['candidate: IceCandidate'] },
    { name: 'IceGatheringDone', extends: 'Media' },
    { name: 'IceComponentStateChanged', extends: 'Media', fields: ['streamId: int', 'componentId: int', 'state: IceComponentState'] },
    {
      name: 'DtlsConnectionStateChange',
      extends: 'Media',
      fields: ['streamId: String', 'componentId: String', 'connectionId: String', 'state: DtlsConnectionState'],
    },
    { name: 'DataChannelOpened', extends: 'Media', fields: ['channelId: int'] },
    { name: 'DataChannelClosed', extends: 'Media', fields: ['channelId: int'] },
    { name: 'NewCandidatePairSelected', extends: 'Media', fields: ['candidatePair: IceCandidatePair'] },
    // Kuroshio's own: the peer started or stopped speaking (its audioLevel is 0 to 1, as in W3C statistics).
    { name: 'SpeakingStateChanged', extends: 'Media', fields: ['speaking: boolean', 'audioLevel: double'] },
  ],
  types: [
    {
      name: 'MediaProfileSpecType',
      values: [
        'WEBM', 'MKV', 'MP4', 'WEBM_VIDEO_ONLY', 'WEBM_AUDIO_ONLY', 'MKV_VIDEO_ONLY', 'MKV_AUDIO_ONLY',
        'MP4_VIDEO_ONLY', 'MP4_AUDIO_ONLY', 'JPEG_VIDEO_ONLY', 'KURENTO_SPLIT_RECORDER', 'FLV',
      ],
    },
    { name: 'VideoInfo', fields: ['isSeekable: boolean', 'seekableInit: int64', 'seekableEnd: int64', 'duration: int64'] },
    { name: 'GapsFixMethod', values: ['NONE', 'GENPTS', 'FILL_IF_TRANSCODING'] },
    {
      name: 'CryptoSuite',
      values: ['AES_128_CM_HMAC_SHA1_32', 'AES_128_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32', 'AES_256_CM_HMAC_SHA1_80'],
    },
    { name: 'SDES', fields: ['key?: String', 'keyBase64?: String', 'crypto?: CryptoSuite'] },
    { name: 'IceCandidate', fields: ['candidate: String', 'sdpMid: String', 'sdpMLineIndex: int'] },
    { name: 'IceComponentState', values: ['DISCONNECTED', 'GATHERING', 'CONNECTING', 'CONNECTED', 'READY', 'FAILED'] },
    { name: 'DtlsConnectionState', values: ['NEW', 'CLOSED', 'FAILED', 'CONNECTING', 'CONNECTED'] },
    {
      name: 'IceCandidatePair',
      fields: ['streamId: String', 'componentId: int', 'localCandidate: String', 'remoteCandidate: String'],
    },
    { name: 'IceConnection', fields: ['streamId: String', 'componentId: int', 'state: IceComponentState'] },
    {
      name: 'DtlsConnection',
      fields: ['streamId: String', 'componentId: String', 'connectionId: String', 'state: DtlsConnectionState'],
    },
    { name: 'CertificateKeyType', values: ['RSA', 'ECDSA'] },
    {
      name: 'DSCPValue',
      values: [
        'NO_DSCP', 'NO_VALUE', 'AUDIO_VERYLOW', 'AUDIO_LOW', 'AUDIO_MEDIUM', 'AUDIO_HIGH', 'VIDEO_VERYLOW', 'VIDEO_LOW',
        'VIDEO_MEDIUM', 'VIDEO_MEDIUM_THROUGHPUT', 'VIDEO_HIGH', 'VIDEO_HIGH_THROUGHPUT', 'DATA_VERYLOW', 'DATA_LOW',
        'DATA_MEDIUM', 'DATA_HIGH', 'CHROME_HIGH', 'CHROME_MEDIUM', 'CHROME_LOW', 'CHROME_VERYLOW', 'CS0', 'CS1', 'CS2',
        'CS3', 'CS4', 'CS5', 'CS6', 'CS7', 'AF11', 'AF12', 'AF13', 'AF21', 'AF22', 'AF23', 'AF31', 'AF32', 'AF33',
        'AF41', 'AF42', 'AF43', 'EF', 'VOICEADMIT', 'LE',
      ],
    },
  ],
};
