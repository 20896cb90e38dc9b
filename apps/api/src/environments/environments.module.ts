import { Module } from '@nestjs/common';
import { EnvironmentsHttpController } from './environments.http.controller.js';
import { environmentCommandHandlers } from './environments.commands.js';
import { environmentQueryHandlers } from './environments.queries.js';

@Module({
  controllers: [EnvironmentsHttpController],
  providers: [...environmentCommandHandlers, ...environmentQueryHandlers],
})
export class EnvironmentsModule {}
