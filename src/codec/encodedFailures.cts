/**
 * The failure converter workers use when the payload codec is on: a failure's message and stack
 * trace move into its encoded attributes, a payload, so the codec encrypts them like everything else
 * (by default Temporal stores them as plain text). Any client decodes them with the codec alone.
 * CommonJS, because Temporal loads it with require() from failureConverterPath, in the worker and in
 * the workflow bundle.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
