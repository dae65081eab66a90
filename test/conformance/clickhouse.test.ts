import { describeConformance } from './suite.js';
import { clickhouseTarget } from './targets/clickhouse.js';

describeConformance(clickhouseTarget);
