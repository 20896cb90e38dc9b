import { Module } from '@nestjs/common';
import { ReleasesHttpController } from './releases.http.controller.js';
import { releaseCommandHandlers } from './releases.commands.js';
import { releaseQueryHandlers } from './releases.queries.js';

@Module({
  controllers: [ReleasesHttpController],
  providers: [...releaseCommandHandlers, ...releaseQueryHandlers],
})
export class ReleasesModule {}
