import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { NAME_PATTERN } from '../applications/application.dto.js';

// Image grammar (repository, tag, digest) and semver are the release decider's rules,
// with their own codes; the DTO only checks shape so the two never disagree.
export class ReleaseImageDto {
  @ApiProperty({ example: 'web', description: 'Container name inside the workload.' })
  @IsString() @Matches(NAME_PATTERN, { message: 'name must be a DNS label: lower-case letters, digits and "-", 1-63 characters' })
  name!: string;

  @ApiProperty({ example: 'ghcr.io/acme/shop', description: 'Repository without tag or digest.' })
  @IsString() @MinLength(1) @MaxLength(255)
  repository!: string;

  @ApiPropertyOptional({ example: '1.4.2' })
  @IsOptional() @IsString() @MaxLength(128)
  tag?: string;

  @ApiPropertyOptional({ example: `sha256:${'0'.repeat(64)}`, description: 'Wins over the tag when both are given.' })
  @IsOptional() @IsString() @MaxLength(71)
  digest?: string;
}

export class RegisterReleaseRequest {
  @ApiProperty({ example: '1.4.2', description: 'Semantic version, without a leading "v".' })
  @IsString() @MinLength(1) @MaxLength(128)
  version!: string;

  @ApiProperty({ type: [ReleaseImageDto] })
  @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => ReleaseImageDto)
  images!: ReleaseImageDto[];

  @ApiPropertyOptional({ example: '9fceb02d0ae598e95dc970b74767f19372d61af8' })
  @IsOptional() @IsString() @MaxLength(64)
  gitCommit?: string;

  @ApiPropertyOptional({ example: 'Faster checkout' })
  @IsOptional() @IsString() @MaxLength(10_000)
  notes?: string;
}

export class ReleaseView {
  @ApiProperty({ example: 'shop' }) application!: string;
  @ApiProperty({ example: '1.4.2' }) version!: string;
  @ApiProperty({ type: [ReleaseImageDto] }) images!: ReleaseImageDto[];
  @ApiProperty({ type: String, nullable: true, example: '9fceb02d0ae598e95dc970b74767f19372d61af8' }) gitCommit!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Faster checkout' }) notes!: string | null;
  @ApiProperty({ example: 'ci-shop', description: 'Name of the token that registered it.' }) createdBy!: string;
  @ApiProperty({ example: '2026-11-22T03:00:00.000Z', format: 'date-time' }) createdAt!: string;
}

export class RegisteredRelease {
  @ApiProperty({ example: 'shop' }) application!: string;
  @ApiProperty({ example: '1.4.2' }) version!: string;
  @ApiProperty({ type: [ReleaseImageDto] }) images!: ReleaseImageDto[];
  @ApiProperty({ type: String, nullable: true }) gitCommit!: string | null;
  @ApiProperty({ type: String, nullable: true }) notes!: string | null;
  @ApiProperty({ description: 'Log position of the event that registered it; pass as ?position= to read your write.', example: 1042 })
  position!: number;
}

export class ReleasePage {
  @ApiProperty({ type: [ReleaseView] }) items!: ReleaseView[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}
