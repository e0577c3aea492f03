import type { CommandStartedEvent } from 'mongodb';

import type { Api } from '../../src/compose/api';

export interface DatabaseCallWatch {
  /** MongoDB commands started since watching began (the driver's command monitoring). */
  mongoCommands: string[];
  /** Redis commands sent on the API's connection since watching began. */
  redisCommands(): number;
  stop(): void;
}

/**
 * Watches every call the API makes to MongoDB and Redis: the driver's command events (the API is composed
 * with monitorMongoCommands) and the Redis connection's sendCommand, observed, not replaced. Earlier
 * tests' logins still waiting to be recorded in a batch are written first, so their write is not seen.
 */
export async function watchDatabaseCalls(api: Api): Promise<DatabaseCallWatch> {
  await api.flushLateParticipants();
  const mongoCommands: string[] = [];
  const onCommand = (event: CommandStartedEvent): void => {
    mongoCommands.push(event.commandName);
  };
  api.mongo.client.on('commandStarted', onCommand);
  const redisSpy = jest.spyOn(api.redis, 'sendCommand');
  return {
    mongoCommands,
    redisCommands: () => redisSpy.mock.calls.length,
    stop: () => {
      api.mongo.client.off('commandStarted', onCommand);
      redisSpy.mockRestore();
    },
  };
}
