/** ActiveModel validations: errors gathered per attribute, raised together as RecordInvalid. */
import { type FieldError, RecordInvalidError } from './errors.js';
import { isBlank } from './params.js';

export class Validation {
  readonly errors: FieldError[] = [];

  add(attribute: string, message: string): void {
    this.errors.push({ attribute, message });
  }

  maxLength(attribute: string, value: string | null | undefined, max: number): void {
    if (value && [...value].length > max) this.add(attribute, `is too long (maximum is ${max} characters)`);
  }

  presence(attribute: string, value: unknown): void {
    if (isBlank(value)) this.add(attribute, "can't be blank");
  }

  check(): void {
    if (this.errors.length > 0) throw new RecordInvalidError(this.errors);
  }
}
