import { checkClientSettings, isLockedSetting, limitSettings, settingNamesOfSet } from './locked-settings';

const LIMITS = limitSettings({ maxExecutionTimeS: 30, maxMemoryBytes: 1000, maxResultRows: 10, maxResultBytes: 100, maxThreads: 2 });

describe('locked settings', () => {
  it('locks the scope, read-only state, limits, threads and query cache', () => {
    for (const name of ['readonly', 'additional_table_filters', 'max_execution_time', 'max_memory_usage', 'max_result_rows', 'max_result_bytes', 'result_overflow_mode', 'allow_ddl', 'max_threads', 'use_query_cache', 'query_cache_share_between_users', 'READONLY']) {
      expect({ name, locked: isLockedSetting(name) }).toEqual({ name, locked: true });
    }
    for (const name of ['output_format_json_quote_64bit_integers', 'session_timezone', 'join_use_nulls', 'date_time_output_format']) {
      expect({ name, locked: isLockedSetting(name) }).toEqual({ name, locked: false });
    }
  });
  it('refuses a change to a locked setting with READONLY, and accepts the value it already has', () => {
    expect(checkClientSettings({ max_result_rows: '0' }, LIMITS)?.code).toBe(164);
    expect(checkClientSettings({ max_result_rows: '10', output_format_json_quote_64bit_integers: '0' }, LIMITS)).toBeUndefined();
    expect(checkClientSettings({ 'bad name': '1' }, LIMITS)?.code).toBe(115);
  });
  it('throws on overflow instead of truncating', () => {
    expect(LIMITS).toMatchObject({ result_overflow_mode: 'throw', timeout_overflow_mode: 'throw', max_result_rows: '10', max_threads: '2', use_query_cache: '0' });
  });
  it('renices the query threads only when a nice value is set, and a client may not change it', () => {
    const reniced = limitSettings({ maxExecutionTimeS: 30, maxMemoryBytes: 1000, maxResultRows: 10, maxResultBytes: 100, maxThreads: 2, threadNice: 19 });
    expect(reniced.os_thread_priority).toBe('19');
    expect(LIMITS.os_thread_priority).toBeUndefined();
    expect(limitSettings({ maxExecutionTimeS: 30, maxMemoryBytes: 1000, maxResultRows: 10, maxResultBytes: 100, maxThreads: 2, threadNice: 0 }).os_thread_priority).toBeUndefined();
    expect(checkClientSettings({ os_thread_priority: '0' }, reniced)?.code).toBe(164);
    expect(checkClientSettings({ os_thread_priority: '19' }, reniced)).toBeUndefined();
  });
});

describe('settingNamesOfSet', () => {
  it('reads every assigned name, whatever the values hold', () => {
    expect(settingNamesOfSet("SET a = 1, b = 'x, readonly = 0', c = {'k, d = 1': 'v'}, `e` = [1, 2]")).toEqual(['a', 'b', 'c', 'e']);
    expect(settingNamesOfSet("SET s = 'it\\'s, f = 1'")).toEqual(['s']);
    expect(settingNamesOfSet('SET readonly = 0')).toEqual(['readonly']);
  });
});
