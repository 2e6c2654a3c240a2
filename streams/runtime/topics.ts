/**
 * Stand-in topics, in one place: a processor written against catalogue topics reads other
 * topics carrying the same schemas instead (isolated tests, a parallel reprocessing, a rebuild
 * from the archive into temporary topics). The runtime checks each stand-in's records against
 * the contract of the catalogue topic it stands for (ProcessorDefinition.contracts).
 */
import type { TopicName } from '../../schemas/generated/events';

/** Catalogue topic -> topic read instead. */
export type StandIns = Readonly<Record<string, string>>;

export class TopicMapping<T extends string = TopicName> {
  private readonly standIns: StandIns;

  constructor(standIns: StandIns = {}) {
    this.standIns = standIns;
  }

  /** The topic read for catalogue topic `topic`. */
  read(topic: T): string {
    return this.standIns[topic] ?? topic;
  }

  /** What a definition reading `catalogueTopics` declares: the topics read and the contract of each. */
  inputs(catalogueTopics: readonly T[]): { inputs: string[]; contracts: Record<string, TopicName> } {
    const inputs = catalogueTopics.map((t) => this.read(t));
    const contracts = Object.fromEntries(catalogueTopics.map((t) => [this.read(t), t as unknown as TopicName]));
    return { inputs, contracts };
  }

  /** The catalogue topic each topic read stands for. */
  catalogueOf(catalogueTopics: readonly T[]): Map<string, T> {
    return new Map(catalogueTopics.map((t) => [this.read(t), t]));
  }

  /** The stand-ins alone (topic read -> its catalogue topic), for a processor that reads only them. */
  standInContracts(): Record<string, TopicName> {
    return Object.fromEntries(Object.entries(this.standIns).map(([catalogue, standIn]) => [standIn, catalogue as TopicName]));
  }

  get hasStandIns(): boolean {
    return Object.keys(this.standIns).length > 0;
  }
}
