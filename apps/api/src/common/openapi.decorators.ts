import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiHeader, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

export class FieldProblemDto {
  @ApiProperty({ example: 'team' }) field!: string;
  @ApiProperty({ example: 'team must be longer than or equal to 1 characters' }) message!: string;
}

export class ProblemDetailsDto {
  @ApiProperty({ example: 'https://circle.dev/problems/validation-failed' }) type!: string;
  @ApiProperty({ example: 'Bad Request' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty({ example: '1 field failed validation' }) detail!: string;
  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable, machine-readable error code.' }) code!: string;
  @ApiProperty({ example: '/v1/applications' }) instance!: string;
  @ApiProperty({ example: 'req-7f3a', description: 'Quote it when reporting a problem; it is on every log line of the request.' })
  correlationId!: string;
  @ApiPropertyOptional({ type: [FieldProblemDto] }) errors?: FieldProblemDto[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Facts about the rejection, by code.' })
  details?: Record<string, unknown>;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed JSON, failed validation or an unknown field',
  401: 'No token, or an unknown, expired or revoked one',
  403: 'The token\'s role may not do this',
  404: 'No such resource',
  409: 'Conflicts with the current state, or with a concurrent request',
  413: 'Body larger than 1 MiB',
  415: 'Body is not application/json',
  422: 'A business rule rejects it; `code` says which',
  503: 'The database is unreachable for the moment (retry after Retry-After, with the same Idempotency-Key), or read models did not reach the requested position in time',
};

/** Documents the problem+json answers a route can give, all with the one schema. */
export function ApiProblems(...statuses: number[]): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto, FieldProblemDto),
    ...[401, ...statuses].map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } },
      }),
    ),
  );
}

/** Documents the write conventions every POST shares. */
export function ApiCommand(): MethodDecorator {
  return applyDecorators(
    ApiBearerAuth(),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Makes a retry safe: a repeat with the same key and body returns the first answer; the same key with another body is a 422.',
    }),
    ApiProblems(400, 403, 409, 413, 415, 422, 503),
  );
}
