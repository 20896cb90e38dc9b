import { Module } from '@nestjs/common';
import { DriftHttpController } from './drift.http.controller.js';
import { driftQueryHandlers } from './drift.queries.js';

/** Drift: the clusters as they are, against the placements read model. */
@Module({
  controllers: [DriftHttpController],
  providers: [...driftQueryHandlers],
})
export class DriftModule {}
