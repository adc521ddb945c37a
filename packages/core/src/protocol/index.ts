/** The `wsgate.v1` protocol (docs/protocol.md): envelopes, requests both ways, ping, resume positions. */
export {
  type ClientFrame,
  decodeFrame,
  EnvelopeError,
  encodeError,
  encodeMessage,
  encodePong,
  encodePub,
  encodeReply,
  encodeRequest,
  encodeSub,
  encodeUnsub,
  MAX_HELLO_TOPICS,
  type WireError,
  type WirePosition,
  WSGATE_V1,
} from './envelope.js';
export { HELD_REQUESTS, ProtocolLayer, type ProtocolPeer, type RequestHandler } from './layer.js';
export { PendingRequests, RequestError, type RequestOptions } from './requests.js';
export { ResumePositions } from './resume.js';
export { type PubFrame, pubFrame, type TopicSource, TopicStreams } from './topic-streams.js';
