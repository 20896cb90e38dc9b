import { Module } from '@nestjs/common';
import { MetricsHttpController } from './metrics.http.controller.js';

@Module({ controllers: [MetricsHttpController] })
export class MetricsModule {}
