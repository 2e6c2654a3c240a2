/** The four dashboards, in the order the navigation shows them. */
import type { DashboardDefinition } from '../panels';
import { EXECUTIVE } from './executive';
import { INVENTORY_ANALYST } from './inventory-analyst';
import { ML_PERFORMANCE } from './ml-performance';
import { STORE_MANAGER } from './store-manager';

export const DASHBOARDS: readonly DashboardDefinition[] = [EXECUTIVE, STORE_MANAGER, INVENTORY_ANALYST, ML_PERFORMANCE];

export function dashboardNamed(name: string): DashboardDefinition | undefined {
  return DASHBOARDS.find((d) => d.name === name);
}
