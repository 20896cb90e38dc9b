import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { NAME_PATTERN } from '../applications/application.dto.js';
import { PageQuery } from '../common/pagination.js';
import { StrategyDto } from './strategy.dto.js';

export const ROLLOUT_KINDS = ['deploy', 'upgrade', 'rollback'] as const;

export class PromotionOverrideDto {
  @ApiProperty({ example: 'hotfix for INC-2231, soak waived by the on-call release manager', description: 'Goes into the audit trail.' })
  @IsString() @MinLength(1) @MaxLength(1000)
  reason!: string;
}

export class StartRolloutRequest {
  @ApiProperty({ enum: ROLLOUT_KINDS, description: 'deploy: first install; upgrade: to a newer release; rollback: to any earlier release.' })
  @IsIn(ROLLOUT_KINDS)
  kind!: (typeof ROLLOUT_KINDS)[number];

  @ApiProperty({ example: 'shop' }) @IsString() @Matches(NAME_PATTERN, { message: 'application must be a DNS label' })
  application!: string;

  @ApiProperty({ example: '2.3.1' }) @IsString() @MinLength(1) @MaxLength(100)
  version!: string;

  @ApiPropertyOptional({ example: 'prod', description: 'Target every eligible cluster of this environment (narrowed by selector).' })
  @IsOptional() @IsString() @Matches(NAME_PATTERN, { message: 'environment must be a DNS label' })
  environment?: string;

  @ApiPropertyOptional({ type: [String], example: ['prod-eu-1'], description: 'Target these clusters by name.' })
  @IsOptional() @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) @Matches(NAME_PATTERN, { each: true, message: 'each cluster must be a DNS label' })
  clusters?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { region: 'eu' }, description: 'Only clusters with all these labels.' })
  @IsOptional() @IsObject()
  selector?: Record<string, string>;

  @ApiPropertyOptional({ type: StrategyDto, description: 'Defaults to a canary of 25 % → pause 30 s → 100 %.' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => StrategyDto)
  strategy?: StrategyDto;

  @ApiPropertyOptional({ example: 'fix for INC-2231', description: 'Recorded in the audit trail.' })
  @IsOptional() @IsString() @MaxLength(1000)
  reason?: string;

  @ApiPropertyOptional({
    type: PromotionOverrideDto,
    description: 'Release managers only: go past a promotion gate (too little soak in the previous environment), with a reason.',
  })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PromotionOverrideDto)
  override?: PromotionOverrideDto;

  @ApiPropertyOptional({ default: false, description: 'Abort a rollout already active for this application on these clusters and take its place.' })
  @IsOptional() @IsBoolean()
  supersede?: boolean;
}

export class PromoteRequest {
  @ApiPropertyOptional({ default: false, description: 'Skip every remaining step and wave pause.' })
  @IsOptional() @IsBoolean()
  full?: boolean;
}

export class PauseRequest {
  @ApiPropertyOptional({ example: 'error budget low' }) @IsOptional() @IsString() @MaxLength(1000)
  reason?: string;
}

export class AbortRequest {
  @ApiProperty({ example: 'latency regression in eu', description: 'Required: it goes into the audit trail.' })
  @IsString() @MinLength(1) @MaxLength(1000)
  reason!: string;
}

export class ApproveRequest {
  @ApiPropertyOptional({ example: 'checked the canary dashboards' }) @IsOptional() @IsString() @MaxLength(1000)
  comment?: string;
}

export class ListRolloutsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'shop' }) @IsOptional() @IsString() @MaxLength(63)
  application?: string;

  @ApiPropertyOptional({ enum: ['AwaitingApproval', 'Progressing', 'Paused', 'Aborting', 'Succeeded', 'Aborted', 'Failed'] })
  @IsOptional() @IsIn(['AwaitingApproval', 'Progressing', 'Paused', 'Aborting', 'Succeeded', 'Aborted', 'Failed'])
  phase?: string;
}

class RolloutLinks {
  @ApiProperty({ example: '/v1/rollouts/2f0c…' }) self!: string;
  @ApiProperty({ example: '/v1/rollouts/2f0c…/events', description: 'Server-Sent Events until the rollout ends.' }) events!: string;
  @ApiProperty({ example: '/v1/rollouts/2f0c…/wait', description: 'Answers when the rollout has ended (or after a timeout).' }) wait!: string;
}

export class ClusterProgressDto {
  @ApiProperty({ example: 'prod-eu-1' }) name!: string;
  @ApiProperty({ example: 1, description: '1-based wave the cluster belongs to.' }) wave!: number;
  @ApiProperty({ type: String, nullable: true, example: 'canary 25%' }) step!: string | null;
  @ApiProperty({ enum: ['pending', 'in progress', 'ready', 'failed', 'restoring', 'restored', 'restore failed'] }) status!: string;
  @ApiPropertyOptional({ example: 'not ready by its progress deadline (canary: 0/1 ready)' }) reason?: string;
}

export class RolloutView {
  @ApiProperty({ example: '2f0c6a4e-…' }) id!: string;
  @ApiProperty({ example: 'shop' }) application!: string;
  @ApiProperty({ enum: ROLLOUT_KINDS }) kind!: string;
  @ApiProperty({ example: '2.3.1' }) version!: string;
  @ApiProperty({ type: String, nullable: true, example: '2.3.0' }) fromVersion!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'prod' }) environment!: string | null;
  @ApiProperty({ enum: ['AwaitingApproval', 'Progressing', 'Paused', 'Aborting', 'Succeeded', 'Aborted', 'Failed'] }) phase!: string;
  @ApiProperty({ example: 'waiting for 1 approval' }) message!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The strategy in effect.' }) strategy!: Record<string, unknown>;
  @ApiProperty({ type: 'array', items: { type: 'array', items: { type: 'string' } }, example: [['prod-eu-1'], ['prod-us-1', 'prod-ap-1']] })
  waves!: string[][];
  @ApiProperty({ type: [String], description: 'Cordoned clusters the target matched but the rollout leaves alone.' }) skippedClusters!: string[];
  @ApiProperty({ example: 1 }) requiredApprovals!: number;
  @ApiProperty({ type: [String] }) approvers!: string[];
  @ApiProperty({ example: 'ci-shop' }) requestedBy!: string;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) endedAt!: string | null;
  @ApiProperty({ example: 2, description: 'Wave being worked on, 1-based; 0 before the first starts.' }) currentWave!: number;
  @ApiProperty({ example: 3 }) totalWaves!: number;
  @ApiProperty({ type: String, nullable: true, example: 'canary 25%' }) currentStep!: string | null;
  @ApiProperty({ type: [ClusterProgressDto] }) clusters!: ClusterProgressDto[];
  @ApiProperty({ type: RolloutLinks }) links!: RolloutLinks;
}

export class RolloutPage {
  @ApiProperty({ type: [RolloutView] }) items!: RolloutView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class RolloutAccepted {
  @ApiProperty() rolloutId!: string;
  @ApiProperty({ enum: ['AwaitingApproval', 'Progressing', 'Paused', 'Aborting', 'Succeeded', 'Aborted', 'Failed'] }) phase!: string;
  @ApiProperty({ type: 'array', items: { type: 'array', items: { type: 'string' } } }) waves!: string[][];
  @ApiProperty({ type: [String] }) skippedClusters!: string[];
  @ApiProperty({ type: String, nullable: true, description: 'Rollout this one superseded.' }) superseded!: string | null;
  @ApiProperty({ example: 1042 }) position!: number;
  @ApiProperty({ type: RolloutLinks }) links!: RolloutLinks;
}
