import { logLevel } from 'kafkajs';
import { createKafkaLogLevels } from './kafka-log';

// The messages as kafkajs 2.2.4 writes them (network/connection.js, consumer/index.js).
const LOADING = "The coordinator is loading and hence can't process requests for this group";
const NOT_AVAILABLE = 'The group coordinator is not available';
const NOT_LEADER = 'This server is not the leader for that topic-partition';
const UNKNOWN_MEMBER = 'The coordinator is not aware of this member';

describe('kafkajs log levels', () => {
  it('lowers a failed response with a retriable coordinator error to debug: kafkajs retries it', () => {
    const levels = createKafkaLogLevels();
    expect(levels.levelOf(logLevel.ERROR, 'Connection', 'Response JoinGroup(key: 11, version: 5)', { error: LOADING, correlationId: 3 })).toBe('debug');
    expect(levels.levelOf(logLevel.ERROR, 'Connection', 'Response FindCoordinator(key: 10, version: 2)', { error: NOT_AVAILABLE })).toBe('debug');
    // A topic created a moment ago, its leader not elected yet: kafkajs refreshes metadata and retries.
    expect(levels.levelOf(logLevel.ERROR, 'Connection', 'Response Produce(key: 0, version: 7)', { error: NOT_LEADER })).toBe('debug');
    expect(levels.levelOf(logLevel.ERROR, 'Connection', 'Response Fetch(key: 1, version: 11)', { error: NOT_LEADER })).toBe('debug');
  });

  it('makes a session that expired a warning: the runner joins the group again by itself', () => {
    // As a demo logged them when a training held the event loop past a 10 s session.
    const levels = createKafkaLogLevels();
    expect(levels.levelOf(logLevel.ERROR, 'Connection', 'Response Heartbeat(key: 12, version: 3)', { error: UNKNOWN_MEMBER, correlationId: 16 })).toBe('debug');
    expect(levels.levelOf(logLevel.ERROR, 'Runner', `${UNKNOWN_MEMBER}, re-joining the group`, { groupId: 'g1', memberId: 'm1', error: UNKNOWN_MEMBER })).toBe('warn');
    expect(levels.levelOf(logLevel.ERROR, 'Runner', 'Error when calling eachMessage', { groupId: 'g1', error: 'boom' })).toBe('error');
  });

  it('keeps every other failed response an error', () => {
    const levels = createKafkaLogLevels();
    expect(levels.levelOf(logLevel.ERROR, 'Connection', 'Response SaslAuthenticate(key: 36, version: 1)', { error: 'Authentication failed' })).toBe('error');
    expect(levels.levelOf(logLevel.ERROR, 'Connection', 'Response Produce(key: 0, version: 7)', { error: 'This server does not host this topic-partition' })).toBe('error');
    expect(levels.levelOf(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', {})).toBe('error');
  });

  it('turns a consumer crash from a coordinator error, and the restart that follows, into warnings', () => {
    const levels = createKafkaLogLevels();
    expect(levels.levelOf(logLevel.ERROR, 'Consumer', `Crash: KafkaJSNumberOfRetriesExceeded: ${LOADING}`, { groupId: 'g1', retryCount: 5 })).toBe('warn');
    expect(levels.levelOf(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 300ms', { groupId: 'g1', retryCount: 5 })).toBe('warn');
  });

  it('keeps a crash for any other cause, and its restart, errors', () => {
    const levels = createKafkaLogLevels();
    expect(levels.levelOf(logLevel.ERROR, 'Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded: Connection timeout', { groupId: 'g1' })).toBe('error');
    expect(levels.levelOf(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 300ms', { groupId: 'g1' })).toBe('error');
    // A coordinator crash of another group does not excuse this group's restart.
    expect(levels.levelOf(logLevel.ERROR, 'Consumer', `Crash: KafkaJSProtocolError: ${NOT_AVAILABLE}`, { groupId: 'g2' })).toBe('warn');
    expect(levels.levelOf(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 300ms', { groupId: 'g1' })).toBe('error');
    // One restart line per crash: a second one (no new crash logged) is an error again.
    expect(levels.levelOf(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 300ms', { groupId: 'g2' })).toBe('warn');
    expect(levels.levelOf(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 300ms', { groupId: 'g2' })).toBe('error');
  });

  it('passes the other levels through', () => {
    const levels = createKafkaLogLevels();
    expect(levels.levelOf(logLevel.WARN, 'Connection', 'Response JoinGroup', { error: 'other' })).toBe('warn');
    expect(levels.levelOf(logLevel.INFO, 'Consumer', 'Starting', {})).toBe('info');
    expect(levels.levelOf(logLevel.DEBUG, 'Consumer', 'x', {})).toBe('debug');
  });
});
