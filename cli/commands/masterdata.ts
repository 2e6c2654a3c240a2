/**
 * `shelfstream masterdata import <file> --kind stores|products|rates`: master data from the
 * chain's own systems (ERP, treasury) into the compacted topics, every bad row named.
 */
import type { Command } from 'commander';
import { importMasterData, type MasterDataFormat } from '../../services/masterdata/import';
import { MASTER_DATA_KINDS, describeRowIssue, type MasterDataKind } from '../../services/masterdata/records';
import type { CliContext } from '../context';
import type { RunCommand } from './ingest';

interface ImportFlags {
  kind: string;
  format?: string;
  allowPartial?: boolean;
  topicPrefix?: string;
}

export function registerMasterDataCommands(program: Command, run: RunCommand): void {
  const masterdata = program.command('masterdata').description('master data from the chain’s own systems (stores, products, exchange rates)');
  masterdata
    .command('import')
    .description('check a CSV or JSON file row by row and publish it to its compacted topic; a file with errors publishes nothing unless --allow-partial')
    .argument('<file>', 'the file (.csv with a header line, or .json: an array of objects)')
    .requiredOption('--kind <kind>', `what the file holds: ${Object.keys(MASTER_DATA_KINDS).join(', ')}`)
    .option('--format <format>', 'csv or json (default: from the extension)')
    .option('--allow-partial', 'publish the good rows of a file that has bad ones (the bad ones are listed)')
    .option('--topic-prefix <prefix>', 'publish to <prefix><topic> instead (stand-in topics for a rehearsal)')
    .action(async (file: string, flags: ImportFlags) => run('masterdata', (ctx) => masterDataImportCommand(ctx, file, flags))());
}

export async function masterDataImportCommand(ctx: CliContext, file: string, flags: ImportFlags): Promise<boolean> {
  if (!(flags.kind in MASTER_DATA_KINDS)) throw new Error(`--kind must be one of ${Object.keys(MASTER_DATA_KINDS).join(', ')}, got ${JSON.stringify(flags.kind)}`);
  if (flags.format !== undefined && flags.format !== 'csv' && flags.format !== 'json') throw new Error(`--format must be csv or json, got ${JSON.stringify(flags.format)}`);
  const outcome = await importMasterData(ctx.config, {
    file,
    kind: flags.kind as MasterDataKind,
    ...(flags.format ? { format: flags.format as MasterDataFormat } : {}),
    allowPartial: flags.allowPartial === true,
    ...(flags.topicPrefix ? { topicPrefix: flags.topicPrefix } : {}),
  });
  for (const issue of outcome.issues) ctx.print(`error   ${describeRowIssue(issue)}`);
  if (outcome.refused) {
    ctx.print(`masterdata: ${outcome.issues.length} problem(s) in ${file}; nothing was published to ${outcome.topic} (fix the rows, or pass --allow-partial to publish the good ones)`);
    return false;
  }
  ctx.print(`masterdata: published ${outcome.published} of ${outcome.rows} row(s) to ${outcome.topic}`);
  return outcome.issues.length === 0;
}
