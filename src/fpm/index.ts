// The FPM side's public surface: the session decoder (bytes → RouteEvent) and the framing facts.
export { FpmSessionDecoder } from './session-decoder.js';
export type { FpmSessionDecoderOptions, FpmDecoderStats, WeightMode } from './session-decoder.js';
export { FPM_HEADER_LEN, FPM_MAX_FRAME, FPM_MSG_NETLINK, FPM_MSG_PROTOBUF, FPM_VERSION } from './frame.js';
