// Keeps the domain pure: libs/domain may import nothing from a framework, a driver or
// infrastructure, and nothing from the apps or adapters that build on it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-stays-framework-free',
      severity: 'error',
      comment: 'libs/domain is pure TypeScript: no Nest, TypeORM, pg, kafkajs or Kubernetes client.',
      from: { path: '^libs/domain' },
      to: { path: ['node_modules/(@nestjs|typeorm|pg|pg-[^/]+|kafkajs|@kubernetes)/', '^(pg|typeorm|kafkajs)$'] },
    },
    {
      name: 'domain-does-not-reach-outward',
      severity: 'error',
      comment: 'The domain defines ports; adapters (libs/infra) and apps depend on it, never the reverse.',
      from: { path: '^libs/domain' },
      to: { path: '^(libs/infra|apps|test|migrations)/' },
    },
    {
      name: 'domain-no-node-io',
      severity: 'error',
      comment: 'Deciders take time and ids as inputs; I/O modules have no place in the domain.',
      from: { path: '^libs/domain' },
      to: { dependencyTypes: ['core'], path: '^(fs|net|http|https|child_process|dgram|dns|tls|cluster|worker_threads)$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
