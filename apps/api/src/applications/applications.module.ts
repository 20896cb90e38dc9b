import { Module } from '@nestjs/common';
import { ApplicationsHttpController } from './applications.http.controller.js';
import { applicationCommandHandlers } from './applications.commands.js';
import { applicationQueryHandlers } from './applications.queries.js';

@Module({
  controllers: [ApplicationsHttpController],
  providers: [...applicationCommandHandlers, ...applicationQueryHandlers],
})
export class ApplicationsModule {}
