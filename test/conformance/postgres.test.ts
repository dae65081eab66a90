import { describeConformance } from './suite.js';
import { postgresTarget } from './targets/postgres.js';

describeConformance(postgresTarget);
