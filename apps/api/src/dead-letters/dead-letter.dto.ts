import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '../common/pagination.js';

export const REPLAY_STATUSES = ['none', 'pending', 'succeeded', 'failed'] as const;
export type ReplayStatus = (typeof REPLAY_STATUSES)[number];

export class ListDeadLettersQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'rollout-process', description: 'Only dead letters of this handler (its consumer group).' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200)
  handler?: string;
}

export class DeadLetterReplayView {
  @ApiProperty({ example: '0b7d5c8e-3f1a-4c2b-9d6e-5a4f3b2c1d0e' }) id!: string;
  @ApiProperty({ example: '2026-11-22T03:00:00.000Z', format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ example: 'alice', description: 'Name of the token that asked for the replay.' }) requestedBy!: string;
  @ApiProperty({ type: String, nullable: true, enum: ['succeeded', 'failed'], example: 'succeeded', description: 'null while a worker has not replayed it yet.' })
  outcome!: 'succeeded' | 'failed' | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'The handler\'s error when the replay failed.' }) error!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: '2026-11-22T03:00:01.000Z' }) completedAt!: string | null;
}

class DeadLetterLinks {
  @ApiProperty({ example: '/v1/dead-letters/0b7d5c8e-…' }) self!: string;
  @ApiProperty({ example: '/v1/dead-letters/0b7d5c8e-…/replay', description: 'POST here to hand the event to its handler again.' }) replay!: string;
}

export class DeadLetterView {
  @ApiProperty({ example: '6c1f0e2a-8b3d-4e5f-a7c9-1d2e3f4a5b6c' }) id!: string;
  @ApiProperty({ example: 'rollout-process', description: 'The handler (consumer group) that gave up on the event.' }) handler!: string;
  @ApiProperty({ example: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' }) eventId!: string;
  @ApiProperty({ example: 'RolloutStarted' }) eventType!: string;
  @ApiProperty({ example: 'rollout-2f0c…' }) streamId!: string;
  @ApiProperty({ example: 3 }) streamVersion!: number;
  @ApiProperty({ example: 1042 }) globalPosition!: number;
  @ApiProperty({ example: 5, description: 'Deliveries tried before the event was set aside.' }) attempts!: number;
  @ApiProperty({ example: 'Error: cluster prod-eu-1 unreachable <- caused by: ECONNREFUSED', description: 'The last error, with its cause chain.' })
  error!: string;
  @ApiProperty({ example: '2026-11-22T03:00:00.000Z', format: 'date-time' }) failedAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null, description: 'When a replay last succeeded; cleared if the event is dead-lettered again.' })
  replayedAt!: string | null;
  @ApiProperty({
    enum: REPLAY_STATUSES,
    example: 'none',
    description: 'none: never replayed (or dead-lettered again since); pending: a worker will replay it; succeeded; failed: see lastReplay.error.',
  })
  replayStatus!: ReplayStatus;
  @ApiProperty({ type: DeadLetterReplayView, nullable: true }) lastReplay!: DeadLetterReplayView | null;
  @ApiProperty({ type: DeadLetterLinks }) links!: DeadLetterLinks;
}

export class DeadLetterPage {
  @ApiProperty({ type: [DeadLetterView] }) items!: DeadLetterView[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class DeadLetterReplayAccepted {
  @ApiProperty({ example: '6c1f0e2a-8b3d-4e5f-a7c9-1d2e3f4a5b6c' }) deadLetterId!: string;
  @ApiProperty({ example: '0b7d5c8e-3f1a-4c2b-9d6e-5a4f3b2c1d0e', description: 'The replay request; a POST while one is pending answers with that one.' })
  replayId!: string;
  @ApiProperty({ enum: ['pending'], example: 'pending' }) replayStatus!: 'pending';
  @ApiProperty({ example: 1042, description: 'Log position of the DeadLetterReplayRequested event.' }) position!: number;
  @ApiProperty({ type: DeadLetterLinks }) links!: DeadLetterLinks;
}
