import { ApiProperty } from '@nestjs/swagger';

export class ProjectionRebuildResult {
  @ApiProperty({ example: 18342, description: 'Log position the rebuilt read models had reached when they were swapped in.' })
  position!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { rm_applications: 200, ri_audit: 15210 },
    description: 'Rows per read-model table at the swap.',
  })
  tables!: Record<string, number>;
  @ApiProperty({ type: [String], example: ['applications', 'placements'], description: 'Projections that were replayed.' })
  projections!: string[];
  @ApiProperty({ example: 5230, description: 'Wall time of the replay and swap.' })
  durationMs!: number;
}
