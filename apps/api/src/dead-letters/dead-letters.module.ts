import { Module } from '@nestjs/common';
import { deadLetterCommandHandlers } from './dead-letters.commands.js';
import { DeadLettersHttpController } from './dead-letters.http.controller.js';
import { deadLetterQueryHandlers } from './dead-letters.queries.js';

@Module({
  controllers: [DeadLettersHttpController],
  providers: [...deadLetterCommandHandlers, ...deadLetterQueryHandlers],
})
export class DeadLettersModule {}
