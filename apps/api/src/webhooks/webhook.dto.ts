import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf, ValidateNested } from 'class-validator';
import { NAME_PATTERN } from '../applications/application.dto.js';
import { StrategyDto } from '../rollouts/strategy.dto.js';
import { PROVIDERS, type Provider } from './webhook-rules.js';

/** `owner/name`, or `group/subgroup/name` on GitLab. */
export const REPOSITORY_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
const GLOB = /^[A-Za-z0-9_.\/*?+-]{1,200}$/;

export class DeployActionDto {
  @ApiProperty({ example: 'test', description: 'Environment the release is deployed into.' })
  @IsString() @Matches(NAME_PATTERN, { message: 'environment must be a DNS label' })
  environment!: string;

  @ApiPropertyOptional({ type: StrategyDto, description: 'As in POST /v1/rollouts; the default canary when omitted.' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => StrategyDto)
  strategy?: StrategyDto;

  @ApiPropertyOptional({ default: false, description: 'Abort a rollout of the application still running on those clusters (continuous deployment usually wants true).' })
  @IsOptional() @IsBoolean()
  supersede?: boolean;
}

export class CreateWebhookRuleRequest {
  @ApiProperty({ example: 'acme/shop', pattern: REPOSITORY_PATTERN.source })
  @IsString() @Matches(REPOSITORY_PATTERN, { message: 'repository must be owner/name' }) @MaxLength(200)
  repository!: string;

  @ApiProperty({ enum: PROVIDERS, example: 'github' })
  @IsIn(PROVIDERS)
  provider!: Provider;

  @ApiProperty({ example: 'shop' })
  @IsString() @Matches(NAME_PATTERN, { message: 'application must be a DNS label' })
  application!: string;

  @ApiPropertyOptional({ example: 'main', description: 'Glob over branch names (`*` within a segment, `**` across). Give it, tagPattern, or both.' })
  @ValidateIf((o: CreateWebhookRuleRequest) => o.branchPattern !== undefined || o.tagPattern === undefined)
  @IsString() @Matches(GLOB, { message: 'branchPattern must be a glob of letters, digits and ._/*?+-' })
  branchPattern?: string;

  @ApiPropertyOptional({ example: 'v*', description: 'Glob over tag names.' })
  @IsOptional() @IsString() @Matches(GLOB, { message: 'tagPattern must be a glob of letters, digits and ._/*?+-' })
  tagPattern?: string;

  @ApiProperty({ example: 'ghcr.io/acme/shop:{shortSha}', description: 'Image reference with placeholders {sha}, {shortSha}, {branch}, {tag}, {version}.' })
  @IsString() @MinLength(3) @MaxLength(300)
  image!: string;

  @ApiPropertyOptional({ example: 'web', description: 'Container name the image is for; the application name when omitted.' })
  @IsOptional() @IsString() @Matches(NAME_PATTERN, { message: 'container must be a DNS label' })
  container?: string;

  @ApiPropertyOptional({ example: '0.0.0-{branch}.{shortSha}', description: 'Release version; default {version} (the tag without a leading v) for tags and 0.0.0-{branch}.{shortSha} for branches. Must come out as semver.' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(128)
  versionTemplate?: string;

  @ApiPropertyOptional({ type: DeployActionDto, description: 'Also deploy the release; without it the rule only registers the release.' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => DeployActionDto)
  deploy?: DeployActionDto;
}

export class WebhookRuleView {
  @ApiProperty({ example: 'whr_5f0c2a9b1d3e4f60' }) id!: string;
  @ApiProperty({ example: 'acme/shop' }) repository!: string;
  @ApiProperty({ enum: PROVIDERS }) provider!: Provider;
  @ApiProperty({ example: 'shop' }) application!: string;
  @ApiProperty({ type: String, nullable: true, example: 'main' }) branchPattern!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'v*' }) tagPattern!: string | null;
  @ApiProperty({ example: 'ghcr.io/acme/shop:{shortSha}' }) image!: string;
  @ApiProperty({ example: 'web' }) container!: string;
  @ApiProperty({ type: String, nullable: true }) versionTemplate!: string | null;
  @ApiProperty({ enum: ['register', 'deploy'] }) action!: 'register' | 'deploy';
  @ApiProperty({ type: String, nullable: true, example: 'test' }) environment!: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) strategy!: object | null;
  @ApiProperty() supersede!: boolean;
  @ApiProperty({ example: 'rm-alice' }) createdBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class WebhookRuleList {
  @ApiProperty({ type: [WebhookRuleView] }) items!: WebhookRuleView[];
}

export class PutWebhookSecretRequest {
  @ApiProperty({ example: 'a-long-random-secret', description: 'The shared secret (GitHub, generic) or secret token (GitLab); 16-256 characters.' })
  @IsString() @MinLength(16) @MaxLength(256)
  secret!: string;

  @ApiPropertyOptional({ example: 3600, default: 3600, description: 'How long the secret it replaces stays valid; 0 ends it now.' })
  @IsOptional() @IsInt() @Min(0) @Max(30 * 24 * 3600)
  graceSeconds?: number;
}

export class WebhookSecretView {
  @ApiProperty({ example: 'acme/shop' }) repository!: string;
  @ApiProperty({ format: 'date-time' }) rotatedAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Until when the previous secret is still accepted; null when there is none.' })
  previousValidUntil!: string | null;
}

class DeliveryReleaseDto {
  @ApiProperty() ruleId!: string;
  @ApiProperty() application!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ description: 'False when the same release was already registered.' }) created!: boolean;
}

class DeliveryRolloutDto {
  @ApiProperty() ruleId!: string;
  @ApiProperty() application!: string;
  @ApiProperty() environment!: string;
  @ApiProperty() rolloutId!: string;
}

class DeliveryRefusalDto {
  @ApiProperty() ruleId!: string;
  @ApiProperty() application!: string;
  @ApiProperty({ example: 'ROLLOUT_ALREADY_ACTIVE' }) code!: string;
  @ApiProperty() message!: string;
}

export class DeliveryOutcomeDto {
  @ApiProperty({ enum: ['processed', 'ignored'] }) status!: 'processed' | 'ignored';
  @ApiProperty({ type: String, nullable: true, example: 'no rule matches acme/shop refs/heads/feature-x' }) reason!: string | null;
  @ApiProperty({ type: [DeliveryReleaseDto] }) releases!: DeliveryReleaseDto[];
  @ApiProperty({ type: [DeliveryRolloutDto] }) rollouts!: DeliveryRolloutDto[];
  @ApiProperty({ type: [DeliveryRefusalDto] }) refused!: DeliveryRefusalDto[];
}

export class DeliveryView {
  @ApiProperty({ enum: PROVIDERS }) provider!: Provider;
  @ApiProperty({ example: '72d3162e-cc78-11e3-81ab-4c9367dc0958' }) deliveryId!: string;
  @ApiProperty({ example: 'push' }) event!: string;
  @ApiProperty({ type: String, nullable: true, example: 'acme/shop' }) repository!: string | null;
  @ApiProperty({ type: String, nullable: true }) commit!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'refs/heads/main' }) ref!: string | null;
  @ApiProperty({ type: DeliveryOutcomeDto }) outcome!: DeliveryOutcomeDto;
  @ApiProperty({ format: 'date-time' }) receivedAt!: string;
  @ApiProperty({ description: 'True when this answer is the first delivery\'s outcome, returned to a redelivery.' }) replayed!: boolean;
}
