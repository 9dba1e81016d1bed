/** Errors: each maps to what Rails would render for the same failure. */
import type { JsonObject } from './records.js';

/** A response decided by a controller: status and body as Chatwoot renders them. */
export class ChatwootApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject,
  ) {
    super(`${status} ${JSON.stringify(body)}`);
    this.name = 'ChatwootApiError';
  }
}

export interface FieldError {
  attribute: string;
  message: string;
}

/** ActiveRecord::RecordInvalid: rendered 422 {message, attributes} unless a controller rescues it. */
export class RecordInvalidError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(`Validation failed: ${errors.map(fullMessage).join(', ')}`);
    this.name = 'RecordInvalidError';
  }

  get body(): JsonObject {
    return {
      message: this.errors.map(fullMessage).join(', '),
      attributes: [...new Set(this.errors.map((error) => error.attribute))],
    };
  }
}

/**
 * A Ruby StandardError (ArgumentError on a bad enum, the builders' own raises). Unrescued it is a
 * 500; the messages controller rescues it into 422 {error: message}.
 */
export class RubyStandardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RubyStandardError';
  }
}

/** ActiveRecord::RecordNotUnique: a unique index fired under a race; never rescued, so a 500. */
export class RecordNotUniqueError extends Error {
  constructor(index: string) {
    super(`PG::UniqueViolation: duplicate key value violates unique constraint "${index}"`);
    this.name = 'RecordNotUniqueError';
  }
}

export const notFound = (): ChatwootApiError =>
  new ChatwootApiError(404, { error: 'Resource could not be found' });
export const notAuthorizedForAction = (): ChatwootApiError =>
  new ChatwootApiError(401, { error: 'You are not authorized to do this action' });
export const couldNotCreate = (message: string): ChatwootApiError =>
  new ChatwootApiError(422, { error: message });

function humanize(attribute: string): string {
  const words = attribute.replace(/_id$/, '').replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fullMessage(error: FieldError): string {
  return error.attribute === 'base' ? error.message : `${humanize(error.attribute)} ${error.message}`;
}
