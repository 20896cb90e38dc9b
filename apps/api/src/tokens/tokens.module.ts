import { Module } from '@nestjs/common';
import { TokensHttpController } from './tokens.http.controller.js';
import { tokenCommandHandlers } from './tokens.commands.js';
import { tokenQueryHandlers } from './tokens.queries.js';

@Module({
  controllers: [TokensHttpController],
  providers: [...tokenCommandHandlers, ...tokenQueryHandlers],
})
export class TokensModule {}
