import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { ReadQuery } from '../common/pagination.js';

export class DriftQuery extends ReadQuery {
  @ApiPropertyOptional({ example: 'prod-eu-1', description: 'Only this cluster.' })
  @IsOptional() @IsString() @MaxLength(63)
  cluster?: string;
}

export class DriftDifferenceView {
  @ApiProperty({ enum: ['stable', 'canary', 'blue', 'green'], example: 'stable' }) track!: string;
  @ApiProperty({ enum: ['version', 'replicas'], example: 'replicas' }) field!: 'version' | 'replicas';
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'integer' }], nullable: true, example: 3,
    description: 'What the placements read model says; null when it has no such track there.',
  })
  expected!: string | number | null;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'integer' }], nullable: true, example: 5,
    description: 'What the cluster reports (the Deployment\'s annotations and `spec.replicas`); null when it has no such Deployment.',
  })
  actual!: string | number | null;
}

export class ClusterDriftView {
  @ApiProperty({ example: 'prod-eu-1' }) cluster!: string;
  @ApiProperty({ enum: ['in-sync', 'drifted', 'unreachable'], example: 'drifted' }) status!: 'in-sync' | 'drifted' | 'unreachable';
  @ApiProperty({ type: [DriftDifferenceView], description: 'Empty unless drifted.' }) differences!: DriftDifferenceView[];
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why the cluster could not be read (a ClusterGateway error code), when unreachable.' })
  error!: string | null;
}

export class DriftView {
  @ApiProperty({ example: 'shop' }) application!: string;
  @ApiProperty({ format: 'date-time', description: 'When the clusters were read.' }) checkedAt!: string;
  @ApiProperty({ type: [ClusterDriftView], description: 'By cluster name.' }) clusters!: ClusterDriftView[];
}
