import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';

export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME_MESSAGE = 'must be a DNS label: lower-case letters, digits and "-", 1-63 characters';

export class CreateApplicationRequest {
  @ApiProperty({ example: 'shop', pattern: NAME_PATTERN.source })
  @IsString() @Matches(NAME_PATTERN, { message: `name ${NAME_MESSAGE}` })
  name!: string;

  @ApiProperty({ example: 'payments', description: 'Owning team.' })
  @IsString() @MinLength(1) @MaxLength(100)
  team!: string;

  @ApiPropertyOptional({ example: 'Storefront and checkout', default: '' })
  @IsOptional() @IsString() @MaxLength(2000)
  description?: string;
}

export class UpdateApplicationRequest {
  @ApiPropertyOptional({ example: 'checkout' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(100)
  team?: string;

  @ApiPropertyOptional({ example: 'Storefront' })
  @IsOptional() @IsString() @MaxLength(2000)
  description?: string;
}

export class DependencyDto {
  @ApiProperty({ example: 'cart' })
  @IsString() @Matches(NAME_PATTERN, { message: `application ${NAME_MESSAGE}` })
  application!: string;

  @ApiProperty({ example: '>=2.1.0 <3', description: 'semver range the dependency must satisfy' })
  @IsString() @MinLength(1) @MaxLength(200)
  range!: string;
}

export class DeclareDependenciesRequest {
  @ApiProperty({ type: [DependencyDto], description: 'Replaces the whole set.' })
  @IsArray() @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => DependencyDto)
  dependencies!: DependencyDto[];
}

export class ApplicationView {
  @ApiProperty({ example: 'shop' }) name!: string;
  @ApiProperty({ example: 'payments' }) team!: string;
  @ApiProperty({ example: 'Storefront and checkout' }) description!: string;
  @ApiProperty({ type: [DependencyDto] }) dependencies!: DependencyDto[];
  @ApiProperty({ example: '2026-11-22T03:00:00.000Z', format: 'date-time' }) createdAt!: string;
  @ApiProperty({ example: '2026-11-22T03:00:00.000Z', format: 'date-time' }) updatedAt!: string;
}

export class ApplicationPage {
  @ApiProperty({ type: [ApplicationView] }) items!: ApplicationView[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class CommandAccepted {
  @ApiProperty({ description: 'Log position of the last event the command appended; pass as ?position= to read your write.', example: 1042 })
  position!: number;
}
