import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, Matches } from 'class-validator';
import { NAME_PATTERN } from '../applications/application.dto.js';
import { ROLES, type Role } from '../auth/principal.js';

// Token names are the actor in every event the token causes, so they stay readable
// in an audit trail: a person's e-mail or a CI job's name.
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/;

export class IssueTokenRequest {
  @ApiProperty({ example: 'ci-shop', description: 'Unique; recorded as the actor of everything the token does.', pattern: TOKEN_NAME.source })
  @IsString() @Matches(TOKEN_NAME, { message: 'name must be 1-100 letters, digits or ._@+- starting with a letter or digit' })
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'deployer' })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({ type: [String], example: ['staging'], description: 'Environments a deployer may deploy into; empty means all.', default: [] })
  @IsOptional() @IsArray() @ArrayMaxSize(50) @Matches(NAME_PATTERN, { each: true, message: 'each environment must be a DNS label' })
  environments?: string[];

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00.000Z', format: 'date-time', description: 'Never expires when omitted.' })
  @IsOptional() @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class ChangeTokenExpiryRequest {
  @ApiProperty({
    example: '2026-11-23T00:00:00.000Z',
    format: 'date-time',
    description: 'When the token stops working. A time already past expires it at once (a softer revocation that keeps the token listed as expired).',
  })
  @IsISO8601({ strict: true })
  expiresAt!: string;
}

export class TokenView {
  @ApiProperty({ example: 'tok_5f0c2a9b1d3e4f60' }) id!: string;
  @ApiProperty({ example: 'ci-shop' }) name!: string;
  @ApiProperty({ enum: ROLES, example: 'deployer' }) role!: Role;
  @ApiProperty({ type: [String], example: ['staging'] }) environments!: string[];
  @ApiProperty({ example: 'admin', description: 'Name of the token that issued it.' }) createdBy!: string;
  @ApiProperty({ example: '2026-11-22T03:00:00.000Z', format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null }) expiresAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null }) revokedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null }) lastUsedAt!: string | null;
}

export class IssuedToken extends TokenView {
  @ApiProperty({ example: 'circle_q2XnY…', description: 'The bearer secret. Shown in this answer only; circle keeps just its hash.' })
  token!: string;
}

export class TokenPage {
  @ApiProperty({ type: [TokenView] }) items!: TokenView[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}
