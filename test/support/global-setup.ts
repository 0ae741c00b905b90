/**
 * Starts DynamoDB Local (in memory) and fauxqs once per vitest run and hands their endpoints to the tests
 * (`inject('dynamoEndpoint')`, `inject('sqsEndpoint')`). Each test file creates its own tables/queues under a
 * unique prefix (test/support/dynamo.ts).
 */
import type { TestProject } from 'vitest/node';
import { startDynamoLocal, startSqsEmulator } from '../../local/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sqsEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamo, sqs] = await Promise.all([startDynamoLocal({ inMemory: true }), startSqsEmulator()]);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', sqs.endpoint);
  return async () => {
    await Promise.all([dynamo.stop(), sqs.stop()]);
  };
}
