// kubelet's journal into its log buffer: the last 300 entries, then followed. When journalctl gives up,
// the pane says so and following starts again 5 s later (lines that came meanwhile are not read twice:
// the pane shows what follows).
import { levelOfPriority } from '../../model/log-buffer.js';
import { followJournal, type JournalFollower } from '../../sources/journal/follow.js';
import type { Feed, FeedHost } from '../feed.js';

const RESUBSCRIBE_MS = 5_000;
const BACKLOG_LINES = 300;

export function startJournalFeed(host: FeedHost, unitName: string, directory: string | null): Feed {
  const unit = unitName.replace(/\.service$/, '');
  let follower: JournalFollower | null = null;
  const follow = (lines: number) => {
    follower = followJournal(
      { unit, directory, lines },
      (entries) => {
        const journal = host.snapshot.journal;
        for (const e of entries) {
          journal.push({
            time: e.time,
            text: e.text,
            level: levelOfPriority(e.priority, e.text),
            origin: e.pid === null ? e.identifier : `${e.identifier ?? unit}[${e.pid}]`,
          });
        }
        host.touch('log');
      },
      (err) => {
        host.snapshot.journal.push({
          time: new Date(),
          text: `-- journal: ${err.message} (trying again in ${RESUBSCRIBE_MS / 1000} s)`,
          level: 'error',
          origin: 'breakglass',
        });
        host.touch();
        follower?.close();
        host.later(() => follow(0), RESUBSCRIBE_MS);
      },
    );
  };
  follow(BACKLOG_LINES);
  return { close: () => follower?.close() };
}
