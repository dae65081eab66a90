import { describeConformance } from './suite.js';
import { duckdbTarget } from './targets/duckdb.js';

describeConformance(duckdbTarget);
