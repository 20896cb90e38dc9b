import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { NAME_PATTERN } from '../applications/application.dto.js';
import { IsStringRecord } from '../common/string-record.validator.js';

// Ranges (rank ≥ 0, soak ≤ 90 days, approvals ≤ 10, wave sizes) are the environment
// decider's rules with their own codes; the DTOs check types only, so there is one truth.

export class WavePlanDto {
  @ApiPropertyOptional({ type: [String], example: ['1', '25%', 'rest'], description: 'A count, a share of the fleet, or "rest" (last only).', default: ['rest'] })
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @MaxLength(10, { each: true })
  waves?: string[];

  @ApiPropertyOptional({ example: 5, default: 10, description: 'Clusters worked on at once within a wave.' })
  @IsOptional() @IsInt()
  maxParallel?: number;

  @ApiPropertyOptional({ example: 600, default: 0, description: 'Seconds a finished wave stays healthy before the next starts.' })
  @IsOptional() @IsInt()
  bakeSeconds?: number;

  @ApiPropertyOptional({ enum: ['rollback', 'pause'], default: 'rollback' })
  @IsOptional() @IsIn(['rollback', 'pause'])
  onFailure?: 'rollback' | 'pause';
}

export class PolicyDto {
  @ApiPropertyOptional({ example: 86400, default: 0, description: 'Seconds a version must have served all traffic in the previous stage.' })
  @IsOptional() @IsInt()
  requiredSoakSeconds?: number;

  @ApiPropertyOptional({ example: 1, default: 0 })
  @IsOptional() @IsInt()
  requiredApprovals?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { tier: 'gold' }, default: {} })
  @IsOptional() @IsStringRecord()
  clusterSelector?: Record<string, string>;

  @ApiPropertyOptional({ type: WavePlanDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => WavePlanDto)
  wavePlan?: WavePlanDto;
}

export class DefineEnvironmentRequest {
  @ApiProperty({ example: 'prod', pattern: NAME_PATTERN.source })
  @IsString() @Matches(NAME_PATTERN, { message: 'name must be a DNS label: lower-case letters, digits and "-", 1-63 characters' })
  name!: string;

  @ApiProperty({ example: 3, description: 'Position in the promotion order: dev 1, staging 2, prod 3.' })
  @IsInt()
  rank!: number;

  @ApiPropertyOptional({ example: 'Customer traffic', default: '' })
  @IsOptional() @IsString() @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ type: PolicyDto, description: 'Omitted fields take their defaults.' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PolicyDto)
  policy?: PolicyDto;
}

export class UpdateEnvironmentRequest {
  @ApiPropertyOptional({ example: 4 })
  @IsOptional() @IsInt()
  rank?: number;

  @ApiPropertyOptional({ example: 'Customer traffic' })
  @IsOptional() @IsString() @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ type: PolicyDto, description: 'Merged into the current policy field by field (wavePlan too); omitted fields keep their values.' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PolicyDto)
  policy?: PolicyDto;
}

export class WavePlanView {
  @ApiProperty({ type: [String], example: ['1', '25%', 'rest'] }) waves!: string[];
  @ApiProperty({ example: 10 }) maxParallel!: number;
  @ApiProperty({ example: 0 }) bakeSeconds!: number;
  @ApiProperty({ enum: ['rollback', 'pause'] }) onFailure!: 'rollback' | 'pause';
}

export class PolicyView {
  @ApiProperty({ example: 86400 }) requiredSoakSeconds!: number;
  @ApiProperty({ example: 1 }) requiredApprovals!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: {} }) clusterSelector!: Record<string, string>;
  @ApiProperty({ type: WavePlanView }) wavePlan!: WavePlanView;
}

export class EnvironmentView {
  @ApiProperty({ example: 'prod' }) name!: string;
  @ApiProperty({ example: 3 }) rank!: number;
  @ApiProperty({ example: 'Customer traffic' }) description!: string;
  @ApiProperty({ type: PolicyView }) policy!: PolicyView;
  @ApiProperty({ example: '2026-11-22T03:00:00.000Z', format: 'date-time' }) definedAt!: string;
  @ApiProperty({ example: '2026-11-22T03:00:00.000Z', format: 'date-time' }) updatedAt!: string;
}

export class EnvironmentCommandResult {
  @ApiProperty({ example: 'prod' }) name!: string;
  @ApiProperty({ example: 3 }) rank!: number;
  @ApiProperty({ example: 'Customer traffic' }) description!: string;
  @ApiProperty({ type: PolicyView }) policy!: PolicyView;
  @ApiProperty({ description: 'Log position to pass as ?position= to read your write.', example: 1042 }) position!: number;
}

export class EnvironmentPage {
  @ApiProperty({ type: [EnvironmentView] }) items!: EnvironmentView[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}
