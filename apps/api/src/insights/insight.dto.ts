import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery, ReadQuery } from '../common/pagination.js';

export class PlacementsQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'date-time', example: '2026-11-22T03:00:00.000Z', description: 'Answer for this past moment, from the placement history.' })
  @IsOptional() @IsISO8601({ strict: true })
  at?: string;
}

export class PlacementView {
  @ApiProperty({ example: 'shop' }) application!: string;
  @ApiProperty({ example: 'prod-eu-1' }) cluster!: string;
  @ApiProperty({ example: 'prod' }) environment!: string;
  @ApiProperty({ enum: ['stable', 'canary', 'blue', 'green'], example: 'stable' }) track!: string;
  @ApiProperty({ example: '1.4.0' }) version!: string;
  @ApiProperty({ example: 85.71, description: 'Share of the traffic this track takes (pods of the track over all pods).' }) trafficPercent!: number;
  @ApiProperty({ example: 6, description: 'Replicas the track asks for.' }) replicasDesired!: number;
  @ApiProperty({
    enum: ['healthy', 'progressing', 'degraded'], nullable: true, type: String,
    description: 'As of the last cluster step; null in answers for a past moment.',
  })
  health!: string | null;
  @ApiProperty({ format: 'date-time', description: 'Since when this track runs this version.' }) since!: string;
  @ApiProperty({ example: '0192f0c4-…', description: 'The rollout that put it there.' }) rolloutId!: string;
}

export class PlacementPage {
  @ApiProperty({ type: [PlacementView] }) items!: PlacementView[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'The moment asked for with `at`, or null for now.' })
  at!: string | null;
}

export class LiveQuery extends ReadQuery {
  @ApiPropertyOptional({ example: 'prod', description: 'Only this environment.' })
  @IsOptional() @IsString() @MaxLength(63)
  environment?: string;
}

export class LiveBreakdownView {
  @ApiProperty({ example: 'prod-eu-1' }) cluster!: string;
  @ApiProperty({ example: 'canary' }) track!: string;
  @ApiProperty({ example: '1.5.0' }) version!: string;
  @ApiProperty({ example: 20 }) trafficPercent!: number;
}

export class LiveVersionView {
  @ApiProperty({ example: 'prod' }) environment!: string;
  @ApiProperty({ enum: ['live', 'mixed'] }) status!: 'live' | 'mixed';
  @ApiProperty({ type: String, nullable: true, example: '1.4.0', description: 'Serves 100 % on every cluster of the environment that runs the application; null when mixed.' })
  version!: string | null;
  @ApiProperty({ format: 'date-time', description: 'Since when this status (and version) holds.' }) since!: string;
  @ApiProperty({ type: [LiveBreakdownView], description: 'Every track taking traffic, per cluster.' }) breakdown!: LiveBreakdownView[];
}

export class LiveVersionsView {
  @ApiProperty({ example: 'shop' }) application!: string;
  @ApiProperty({ type: [LiveVersionView] }) environments!: LiveVersionView[];
}

export class HistoryEntryView {
  @ApiProperty({ enum: ['release', 'rollout'] }) kind!: 'release' | 'rollout';
  @ApiProperty({ example: '1.4.0' }) version!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Rollouts only.' }) rolloutId!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['deploy', 'upgrade', 'rollback'], description: 'Rollouts only.' }) rolloutKind!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'prod' }) environment!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '1.3.2', description: 'Rollouts only: the version it replaced.' }) fromVersion!: string | null;
  @ApiProperty({ example: 'Succeeded', description: '`registered` for a release; the rollout\'s phase otherwise.' }) outcome!: string;
  @ApiProperty({ example: 'ci-shop' }) actor!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) endedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
}

export class HistoryPage {
  @ApiProperty({ type: [HistoryEntryView] }) items!: HistoryEntryView[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class SoakQuery extends ReadQuery {
  @ApiProperty({ example: 'staging' })
  @IsString() @MaxLength(63)
  environment!: string;
}

export class SoakView {
  @ApiProperty({ example: 'shop' }) application!: string;
  @ApiProperty({ example: '1.4.0' }) version!: string;
  @ApiProperty({ example: 'staging' }) environment!: string;
  @ApiProperty({ description: 'Serves 100 % on every cluster of the environment that runs the application.' }) live!: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) liveSince!: string | null;
  @ApiProperty({ example: 5400, description: 'Seconds live and healthy without interruption (since the last reset).' }) soakedSeconds!: number;
  @ApiProperty({ example: 3600, description: 'The environment\'s requiredSoakSeconds.' }) requiredSeconds!: number;
  @ApiProperty() satisfied!: boolean;
  @ApiProperty({ example: 0 }) remainingSeconds!: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastResetAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'health gate failed in r-17: canary not ready' }) lastResetReason!: string | null;
}

export const AUDIT_FORMATS = ['json', 'ndjson', 'csv'] as const;

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'ci-shop' }) @IsOptional() @IsString() @MaxLength(200) actor?: string;
  @ApiPropertyOptional({ example: 'shop' }) @IsOptional() @IsString() @MaxLength(63) application?: string;
  @ApiPropertyOptional({ example: 'prod-eu-1' }) @IsOptional() @IsString() @MaxLength(63) cluster?: string;
  @ApiPropertyOptional({ example: 'prod' }) @IsOptional() @IsString() @MaxLength(63) environment?: string;
  @ApiPropertyOptional({ example: 'RolloutRequested', description: 'The event type that recorded the command.' })
  @IsOptional() @IsString() @MaxLength(100) action?: string;
  @ApiPropertyOptional({ enum: ['accepted', 'succeeded', 'failed', 'aborted', 'gate failed'] })
  @IsOptional() @IsIn(['accepted', 'succeeded', 'failed', 'aborted', 'gate failed']) outcome?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Recorded at or after.' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Recorded before.' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @ApiPropertyOptional({ enum: AUDIT_FORMATS, default: 'json', description: '`ndjson` or `csv` export every matching entry (limit and cursor are ignored).' })
  @IsOptional() @IsIn(AUDIT_FORMATS) format?: (typeof AUDIT_FORMATS)[number];
}

export class AuditEntryView {
  @ApiProperty({ example: 1042, description: 'Log position of the event; the trail\'s order.' }) position!: number;
  @ApiProperty() eventId!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'ci-shop' }) actor!: string;
  @ApiProperty({ enum: ['api', 'webhook', 'worker', 'system'] }) source!: string;
  @ApiProperty() correlationId!: string;
  @ApiProperty({ type: String, nullable: true }) causationId!: string | null;
  @ApiProperty({ example: 'RolloutRequested' }) action!: string;
  @ApiProperty({ example: 'accepted' }) outcome!: string;
  @ApiProperty({ example: 'rollout/0192f0c4-…' }) target!: string;
  @ApiProperty({ type: String, nullable: true }) application!: string | null;
  @ApiProperty({ type: [String] }) clusters!: string[];
  @ApiProperty({ type: String, nullable: true }) environment!: string | null;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEntryView] }) items!: AuditEntryView[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}
