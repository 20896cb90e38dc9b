import { Module } from '@nestjs/common';
import { AdminHttpController } from './admin.http.controller.js';
import { adminCommandHandlers } from './admin.commands.js';

@Module({
  controllers: [AdminHttpController],
  providers: [...adminCommandHandlers],
})
export class AdminModule {}
