import { execSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

/** Restarts the machine's PostgreSQL cluster (Debian's pg_ctlcluster, outside systemd). */
export function restartPostgres(): void {
  const version = readdirSync('/etc/postgresql')[0];
  execSync(`pg_ctlcluster --skip-systemctl-redirect ${version} main restart`, { stdio: 'ignore' });
}

/** Stops Redis without saving (it keeps nothing on disk here), then starts it again: every queue is gone. */
export function restartRedis(): void {
  execSync('redis-cli -h 127.0.0.1 -p 6379 shutdown nosave || true', { stdio: 'ignore' });
  execSync(
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 50; i++) {
    try {
      execSync('redis-cli -h 127.0.0.1 -p 6379 ping', { stdio: 'ignore' });
      return;
    } catch {
      execSync('sleep 0.1');
    }
  }
  throw new Error('redis did not come back');
}
