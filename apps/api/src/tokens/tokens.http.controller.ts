import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireRole } from '../auth/auth.decorators.js';
import { describeWrite } from '../common/command-response.js';
import { ApiCommand, ApiProblems } from '../common/openapi.decorators.js';
import { PageQuery, type Page } from '../common/pagination.js';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { ChangeTokenExpiryRequest, IssuedToken, IssueTokenRequest, TokenPage, TokenView } from './token.dto.js';
import { ChangeTokenExpiry, IssueToken, RevokeToken } from './tokens.commands.js';
import { ListTokens } from './tokens.queries.js';

@ApiTags('tokens')
@Controller('v1/tokens')
@RequireRole('admin')
export class TokensHttpController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(QueryBus) private readonly queries: QueryBus,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Issue an API token',
    description: 'The answer holds the secret (`token`); it is never shown again. Idempotency-Key is refused here, since a replay would need the secret stored.',
  })
  @ApiCreatedResponse({ type: IssuedToken })
  @ApiCommand()
  async issue(
    @Body() body: IssueTokenRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IssuedToken> {
    const { token, position } = await this.commands.execute(
      new IssueToken(
        { name: body.name, role: body.role, environments: body.environments ?? [], expiresAt: body.expiresAt ? new Date(body.expiresAt) : null },
        ctx,
      ),
    );
    describeWrite(reply, position, `/v1/tokens/${token.id}`);
    return token;
  }

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List tokens by name (never their secrets)' })
  @ApiOkResponse({ type: TokenPage })
  @ApiProblems(400, 403)
  list(@Query() query: PageQuery): Promise<Page<TokenView>> {
    return this.queries.execute(new ListTokens({ limit: query.limit ?? 50, cursor: query.cursor }));
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke a token',
    description: 'Takes effect on the next request. Answers 200 with the revoked token; revoking it again changes nothing.',
  })
  @ApiOkResponse({ type: TokenView })
  @ApiBearerAuth()
  @ApiProblems(403, 404, 409)
  async revoke(
    @Param('id') id: string,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenView> {
    const { token, position } = await this.commands.execute(new RevokeToken(id, ctx));
    describeWrite(reply, position);
    return token;
  }

  @Patch(':id')
  @ApiOperation({
    summary: "Change a token's expiry",
    description:
      'Shortens or extends when a token stops working, e.g. a grace period for an old CI token while its replacement rolls out. A time already past expires it at once. A revoked token answers 409.',
  })
  @ApiOkResponse({ type: TokenView })
  @ApiCommand()
  @ApiProblems(404)
  async changeExpiry(
    @Param('id') id: string,
    @Body() body: ChangeTokenExpiryRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenView> {
    const { token, position } = await this.commands.execute(new ChangeTokenExpiry(id, new Date(body.expiresAt), ctx));
    describeWrite(reply, position);
    return token;
  }
}
