import { applicationsProjection } from './applications.projection.js';
import { clustersProjection } from './clusters.projection.js';
import { environmentsProjection } from './environments.projection.js';
import { releasesProjection } from './releases.projection.js';
import { rolloutsProjection } from './rollouts.projection.js';

/** The read models behind the API's list and get endpoints. */
export const catalogProjections = [
  applicationsProjection,
  releasesProjection,
  clustersProjection,
  environmentsProjection,
  rolloutsProjection,
];
