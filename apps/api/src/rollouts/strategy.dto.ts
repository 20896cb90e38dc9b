import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,

  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import {
  DEFAULT_PROGRESS_DEADLINE_SECONDS,
  DEFAULT_SCALE_DOWN_DELAY_SECONDS,
  type AnalysisCheck,
  type CanaryStep,
  type Strategy,
  type TrafficRouting,
} from '#domain';

/** Objects that must set exactly one of the given keys, like Argo's step objects. */
function ExactlyOneOf(keys: string[]): ClassDecorator {
  return (target) => {
    registerDecorator({
      name: 'exactlyOneOf',
      target,
      // Registered on a name no input field has, so no @ValidateIf on a real field can skip it.
      propertyName: keys.join('|'),
      validator: {
        validate: (_value: unknown, args: ValidationArguments) =>
          keys.filter((k) => (args.object as Record<string, unknown>)[k] !== undefined).length === 1,
        defaultMessage: () => `set exactly one of ${keys.join(', ')}`,
      },
    });
  };
}

export class AnalysisDto {
  @ApiProperty({ example: 'error-rate' }) @IsString() @MinLength(1) @MaxLength(100)
  name!: string;

  @ApiProperty({ example: 'https://metrics.example.com/checks/shop-error-rate', description: '200-202 passes; anything else, or no answer in time, fails.' })
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  url!: string;

  @ApiPropertyOptional({ default: 30 }) @IsOptional() @IsInt() @Min(1) @Max(3600)
  intervalSeconds?: number;

  @ApiPropertyOptional({ default: 5, description: 'Measurements to take.' }) @IsOptional() @IsInt() @Min(1) @Max(1000)
  count?: number;

  @ApiPropertyOptional({ default: 0, description: 'More failed measurements than this fails the check.' })
  @IsOptional() @IsInt() @Min(0) @Max(1000)
  failureLimit?: number;

  @ApiPropertyOptional({ default: 4, description: 'This many errors in a row fails the check.' })
  @IsOptional() @IsInt() @Min(0) @Max(1000)
  consecutiveErrorLimit?: number;

  @ApiPropertyOptional({ default: 10 }) @IsOptional() @IsInt() @Min(1) @Max(300)
  timeoutSeconds?: number;
}

export class PauseDto {
  @ApiPropertyOptional({ description: 'Omit to wait until someone promotes.', example: 300 })
  @IsOptional() @IsInt() @Min(0) @Max(7 * 24 * 3600)
  seconds?: number;
}

@ExactlyOneOf(['setWeight', 'pause', 'analysis'])
export class CanaryStepDto {
  @ApiPropertyOptional({ example: 20, description: 'Share of traffic (percent) for the new version.' })
  @ValidateIf((o: CanaryStepDto) => o.setWeight !== undefined) @IsInt() @Min(0) @Max(100)
  setWeight?: number;

  @ApiPropertyOptional({ type: PauseDto })
  @ValidateIf((o: CanaryStepDto) => o.pause !== undefined) @IsObject() @ValidateNested() @Type(() => PauseDto)
  pause?: PauseDto;

  @ApiPropertyOptional({ type: AnalysisDto })
  @ValidateIf((o: CanaryStepDto) => o.analysis !== undefined) @IsObject() @ValidateNested() @Type(() => AnalysisDto)
  analysis?: AnalysisDto;
}

export class CanaryDto {
  @ApiPropertyOptional({ default: 3 }) @IsOptional() @IsInt() @Min(1) @Max(1000)
  replicas?: number;

  @ApiProperty({ type: [CanaryStepDto], example: [{ setWeight: 20 }, { pause: { seconds: 60 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => CanaryStepDto)
  steps!: CanaryStepDto[];

  @ApiPropertyOptional({
    enum: ['replicas', 'gatewayApi'],
    default: 'replicas',
    description:
      '`replicas`: traffic follows the replica ratio of the two tracks. `gatewayApi`: on clusters labelled `circle.dev/gateway=<gateway>` ' +
      '(optionally `circle.dev/gateway-namespace`), an HTTPRoute `<app>` attached to that Gateway splits traffic between `<app>-stable` ' +
      'and `<app>-canary` by exactly the step weight; clusters without the label fall back to the replica ratio.',
  })
  @IsOptional() @IsIn(['replicas', 'gatewayApi'])
  trafficRouting?: TrafficRouting;

  @ApiPropertyOptional({ default: DEFAULT_PROGRESS_DEADLINE_SECONDS }) @IsOptional() @IsInt() @Min(1) @Max(86400)
  progressDeadlineSeconds?: number;
}

export class BlueGreenDto {
  @ApiPropertyOptional({ default: 3 }) @IsOptional() @IsInt() @Min(1) @Max(1000)
  replicas?: number;

  @ApiPropertyOptional({ description: 'Promote by itself this long after the preview is ready; omit to wait for a promote.', example: 120 })
  @IsOptional() @IsInt() @Min(0) @Max(7 * 24 * 3600)
  autoPromotionSeconds?: number;

  @ApiPropertyOptional({ default: DEFAULT_SCALE_DOWN_DELAY_SECONDS }) @IsOptional() @IsInt() @Min(0) @Max(86400)
  scaleDownDelaySeconds?: number;

  @ApiPropertyOptional({ type: AnalysisDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => AnalysisDto)
  prePromotionAnalysis?: AnalysisDto;

  @ApiPropertyOptional({ default: DEFAULT_PROGRESS_DEADLINE_SECONDS }) @IsOptional() @IsInt() @Min(1) @Max(86400)
  progressDeadlineSeconds?: number;
}

@ExactlyOneOf(['canary', 'blueGreen'])
export class StrategyDto {
  @ApiPropertyOptional({ type: CanaryDto })
  @ValidateIf((o: StrategyDto) => o.canary !== undefined) @IsObject() @ValidateNested() @Type(() => CanaryDto)
  canary?: CanaryDto;

  @ApiPropertyOptional({ type: BlueGreenDto })
  @ValidateIf((o: StrategyDto) => o.blueGreen !== undefined) @IsObject() @ValidateNested() @Type(() => BlueGreenDto)
  blueGreen?: BlueGreenDto;
}

export const DEFAULT_REPLICAS = 3;

function toCheck(dto: AnalysisDto): AnalysisCheck {
  return {
    name: dto.name,
    url: dto.url,
    intervalSeconds: dto.intervalSeconds ?? 30,
    count: dto.count ?? 5,
    failureLimit: dto.failureLimit ?? 0,
    consecutiveErrorLimit: dto.consecutiveErrorLimit ?? 4,
    timeoutSeconds: dto.timeoutSeconds ?? 10,
  };
}

function toStep(dto: CanaryStepDto): CanaryStep {
  if (dto.setWeight !== undefined) return { kind: 'setWeight', weight: dto.setWeight };
  if (dto.pause !== undefined) return { kind: 'pause', seconds: dto.pause.seconds ?? null };
  return { kind: 'analysis', check: toCheck(dto.analysis!) };
}

/** With no strategy given: a short canary that a CI job can follow to the end unattended. */
export const DEFAULT_STRATEGY: Strategy = {
  kind: 'canary',
  replicas: DEFAULT_REPLICAS,
  steps: [{ kind: 'setWeight', weight: 25 }, { kind: 'pause', seconds: 30 }, { kind: 'setWeight', weight: 100 }],
  trafficRouting: 'replicas',
  progressDeadlineSeconds: DEFAULT_PROGRESS_DEADLINE_SECONDS,
};

export function toStrategy(dto: StrategyDto | null | undefined): Strategy {
  // @IsOptional lets an explicit null through as well as an absent field.
  if (dto === undefined || dto === null) return DEFAULT_STRATEGY;
  if (dto.canary) {
    return {
      kind: 'canary',
      replicas: dto.canary.replicas ?? DEFAULT_REPLICAS,
      steps: dto.canary.steps.map(toStep),
      trafficRouting: dto.canary.trafficRouting ?? 'replicas',
      progressDeadlineSeconds: dto.canary.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS,
    };
  }
  const bg = dto.blueGreen!;
  return {
    kind: 'blueGreen',
    replicas: bg.replicas ?? DEFAULT_REPLICAS,
    autoPromotionSeconds: bg.autoPromotionSeconds ?? null,
    scaleDownDelaySeconds: bg.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS,
    prePromotionAnalysis: bg.prePromotionAnalysis ? toCheck(bg.prePromotionAnalysis) : null,
    progressDeadlineSeconds: bg.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS,
  };
}

