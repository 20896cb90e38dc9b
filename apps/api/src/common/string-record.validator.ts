import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

const MAX_KEYS = 64;

/**
 * A flat map of strings, such as Kubernetes labels or a label selector. class-validator
 * has no such check, and without one `{"tier": 3}` would reach a decider that assumes
 * strings. The label grammar itself is the domain's (LABEL_INVALID).
 */
export function IsStringRecord(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isStringRecord',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= MAX_KEYS &&
          Object.values(value).every((v) => typeof v === 'string'),
        defaultMessage: (args: ValidationArguments) => `${args.property} must be an object of string values with at most ${MAX_KEYS} keys`,
      },
    });
}
