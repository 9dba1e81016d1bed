export {
  type AesGcmCodecOptions,
  AesGcmPayloadCodec,
  type CodecKey,
  codecKeysFromEnv,
  ENCRYPTED_ENCODING,
  keyFingerprint,
  METADATA_ENCRYPTION_KEY_ID,
  payloadCodecFromEnv,
} from './aesGcmCodec.js';
export {
  type CodecServerOptions,
  codecRequestHandler,
  DEFAULT_UI_ORIGIN,
  type RunningCodecServer,
  startCodecServer,
} from './codecServer.js';
