import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  registerDecorator,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';
import { NAME_PATTERN } from '../applications/application.dto.js';
import { PageQuery } from '../common/pagination.js';
import { IsStringRecord } from '../common/string-record.validator.js';

const NAME_MESSAGE = 'must be a DNS label: lower-case letters, digits and "-", 1-63 characters';
const MAX_KUBECONFIG = 256 * 1024;
const ENV_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const SELECTOR = /^[^=,\s]+=[^=,\s]*(,[^=,\s]+=[^=,\s]*)*$/;

/**
 * Two fields of which exactly one must be given. Registered on one of the pair only, so
 * the problem is reported once, under that field's name; `valid` checks its own value.
 */
function ExactlyOneWith(other: string, valid: (value: unknown) => boolean, shape: string): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'exactlyOneWith',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const mine = value != null;
          const theirs = (args.object as Record<string, unknown>)[other] != null;
          if (mine === theirs) return false;
          return !mine || valid(value);
        },
        defaultMessage(args: ValidationArguments) {
          const mine = args.value != null;
          const theirs = (args.object as Record<string, unknown>)[other] != null;
          if (!mine && !theirs) return `${args.property} or ${other} is required`;
          if (mine && theirs) return `give ${args.property} or ${other}, not both`;
          return `${args.property} must be ${shape}`;
        },
      },
    });
}

export class KubeconfigRefDto {
  @ApiPropertyOptional({ example: '/etc/circle/clusters/eu-1.yaml', description: 'Absolute path of a kubeconfig file on the worker hosts.' })
  @ExactlyOneWith('env', (v) => typeof v === 'string' && v.startsWith('/') && v.length <= 4096, 'an absolute path')
  file?: string;

  @ApiPropertyOptional({ example: 'KUBECONFIG_EU_1', description: 'Environment variable of the worker that holds the kubeconfig.' })
  @IsOptional() @IsString() @Matches(ENV_VARIABLE, { message: 'env must be an environment variable name' })
  env?: string;
}

export class RegisterClusterRequest {
  @ApiProperty({ example: 'eu-west-1a', pattern: NAME_PATTERN.source })
  @IsString() @Matches(NAME_PATTERN, { message: `name ${NAME_MESSAGE}` })
  name!: string;

  @ApiProperty({ example: 'prod', description: 'A defined environment.' })
  @IsString() @Matches(NAME_PATTERN, { message: `environment ${NAME_MESSAGE}` })
  environment!: string;

  @ApiProperty({ example: 'eu-west-1' })
  @IsString() @MinLength(1) @MaxLength(100)
  region!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { tier: 'gold' }, default: {} })
  @IsOptional() @IsStringRecord()
  labels?: Record<string, string>;

  @ApiPropertyOptional({
    description: 'An inline kubeconfig (YAML or JSON). Stored as a secret; never returned, logged or written to the event log. Give this or kubeconfigRef.',
    writeOnly: true,
  })
  @ExactlyOneWith('kubeconfigRef', (v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_KUBECONFIG, 'a kubeconfig of at most 256 KiB')
  kubeconfig?: string;

  @ApiPropertyOptional({ type: KubeconfigRefDto, description: 'Where the workers find the kubeconfig themselves: exactly one of file or env.' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => KubeconfigRefDto)
  kubeconfigRef?: KubeconfigRefDto;
}

export class UpdateClusterLabelsRequest {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { tier: 'gold' }, description: 'Replaces all labels.' })
  @IsStringRecord()
  labels!: Record<string, string>;
}

export class CordonClusterRequest {
  @ApiPropertyOptional({ example: 'node pool upgrade' })
  @IsOptional() @IsString() @MaxLength(500)
  reason?: string;
}

export class RemoveClusterQuery {
  @ApiPropertyOptional({ example: 'decommissioned' })
  @IsOptional() @IsString() @MaxLength(500)
  reason?: string;
}

export class ListClustersQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'prod' })
  @IsOptional() @IsString() @Matches(NAME_PATTERN, { message: `environment ${NAME_MESSAGE}` })
  environment?: string;

  @ApiPropertyOptional({ example: 'tier=gold,zone=a', description: 'Clusters carrying all of these labels.' })
  @IsOptional() @IsString() @MaxLength(2000) @Matches(SELECTOR, { message: 'selector must look like key=value,key2=value2' })
  selector?: string;
}

export class ClusterConnectionView {
  @ApiProperty({ enum: ['secret', 'file', 'env'], description: 'How workers reach the cluster; its content is never shown.' })
  kind!: 'secret' | 'file' | 'env';
}

export class ClusterView {
  @ApiProperty({ example: 'eu-west-1a' }) name!: string;
  @ApiProperty({ example: 'prod' }) environment!: string;
  @ApiProperty({ example: 'eu-west-1' }) region!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { tier: 'gold' } }) labels!: Record<string, string>;
  @ApiProperty({ type: ClusterConnectionView }) connection!: ClusterConnectionView;
  @ApiProperty({ enum: ['active', 'cordoned'] }) status!: 'active' | 'cordoned';
  @ApiProperty({ type: String, nullable: true, example: null }) cordonReason!: string | null;
  @ApiProperty({ example: '2026-11-22T03:00:00.000Z', format: 'date-time' }) registeredAt!: string;
  @ApiProperty({ example: '2026-11-22T03:00:00.000Z', format: 'date-time' }) updatedAt!: string;
}

export class ClusterCommandResult {
  @ApiProperty({ example: 'eu-west-1a' }) name!: string;
  @ApiProperty({ example: 'prod' }) environment!: string;
  @ApiProperty({ example: 'eu-west-1' }) region!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels!: Record<string, string>;
  @ApiProperty({ type: ClusterConnectionView }) connection!: ClusterConnectionView;
  @ApiProperty({ enum: ['active', 'cordoned', 'removed'] }) status!: 'active' | 'cordoned' | 'removed';
  @ApiProperty({ description: 'Log position to pass as ?position= to read your write.', example: 1042 }) position!: number;
}

export class ClusterPage {
  @ApiProperty({ type: [ClusterView] }) items!: ClusterView[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}
