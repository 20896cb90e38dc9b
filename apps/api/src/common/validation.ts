import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiError, type FieldProblem } from './problem.js';

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      // class-validator words "property x should not exist" for unknown fields; say it plainly.
      message: message.replace(/^property (\S+) should not exist$/, 'unknown field'),
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Validation at the edge: unknown fields are rejected rather than silently dropped (a
 * typo in "supersede" must not start a second rollout), and every problem is listed
 * with its field so a client can fix them all in one go.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new ApiError(400, 'VALIDATION_FAILED', `${fields.length} field${fields.length === 1 ? '' : 's'} failed validation`, {
        errors: fields,
      });
    },
  });
}
