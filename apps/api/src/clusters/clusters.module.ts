import { Module } from '@nestjs/common';
import { ClusterHealthHttpController } from './cluster-health.http.controller.js';
import { ClusterSecrets } from './cluster-secrets.repository.js';
import { ClustersHttpController } from './clusters.http.controller.js';
import { clusterCommandHandlers } from './clusters.commands.js';
import { clusterQueryHandlers } from './clusters.queries.js';

@Module({
  controllers: [ClustersHttpController, ClusterHealthHttpController],
  providers: [ClusterSecrets, ...clusterCommandHandlers, ...clusterQueryHandlers],
})
export class ClustersModule {}
