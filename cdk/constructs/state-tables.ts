/**
 * The DynamoDB tables, built from shared/resources.ts (the same records local startup creates them from, so the
 * two cannot drift): on demand, point-in-time recovery, encrypted with the cluster key, the objects table with a
 * NEW_AND_OLD_IMAGES stream, the change log with its TTL attribute.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLES, tableNames, type KeyAttribute, type TableDefinition, type TableId } from '../../shared/resources.ts';
import type { ZeroplaneFunction } from './zeroplane-function.ts';

export interface StateTablesProps {
  /** Table name prefix (`<prefix>-objects`, `<prefix>-changelog`), the functions' TABLE_PREFIX. */
  prefix: string;
  encryptionKey: kms.IKey;
  /** Default RETAIN: the cluster state outlives an accidental `cdk destroy`. */
  removalPolicy?: RemovalPolicy;
}

/** Everything the store does (functions/store): single-item writes, transactions, queries, compaction batches. */
const READ_WRITE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];

const STREAM_READ_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];

const ATTRIBUTE_TYPES: Record<KeyAttribute['type'], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

const attribute = (a: KeyAttribute): dynamodb.Attribute => ({ name: a.name, type: ATTRIBUTE_TYPES[a.type] });

export class StateTables extends Construct {
  readonly tables: Record<TableId, dynamodb.TableV2>;
  readonly prefix: string;
  private readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: StateTablesProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.encryptionKey = props.encryptionKey;
    const names = tableNames(props.prefix);
    const build = (def: TableDefinition): dynamodb.TableV2 =>
      new dynamodb.TableV2(this, def.id, {
        tableName: names[def.id],
        partitionKey: attribute(def.partitionKey),
        sortKey: attribute(def.sortKey),
        billing: dynamodb.Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.encryptionKey),
        dynamoStream: def.stream === 'NEW_AND_OLD_IMAGES' ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
        timeToLiveAttribute: def.timeToLiveAttribute,
        globalSecondaryIndexes: def.globalSecondaryIndexes.map((index) => ({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey ? attribute(index.sortKey) : undefined,
          projectionType: index.projection === 'ALL' ? dynamodb.ProjectionType.ALL : dynamodb.ProjectionType.KEYS_ONLY,
        })),
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
    this.tables = { objects: build(TABLES.objects), changelog: build(TABLES.changelog) };
  }

  /** The objects table's stream ARN (it has one by definition in shared/resources.ts). */
  get objectsStreamArn(): string {
    const arn = this.tables.objects.tableStreamArn;
    if (!arn) throw new Error('the objects table has no stream');
    return arn;
  }

  /** Read and write every table (the store), and tell the function where they are. */
  grantReadWrite(fn: ZeroplaneFunction): void {
    const resources = (Object.values(TABLES) as TableDefinition[]).flatMap((def) => {
      const arn = this.tables[def.id].tableArn;
      return [arn, ...def.globalSecondaryIndexes.map((i) => `${arn}/index/${i.indexName}`)];
    });
    fn.allow(READ_WRITE_ACTIONS, resources);
    this.grantKeyUse(fn, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']);
    fn.function.addEnvironment('TABLE_PREFIX', this.prefix);
  }

  /** Read the objects table's stream (the event source mapping polls with the function's role). */
  grantObjectsStreamRead(fn: ZeroplaneFunction): void {
    fn.allow(STREAM_READ_ACTIONS, [this.objectsStreamArn]);
    // The event source mapping checks for ListStreams too, and ListStreams has no resource-level permissions
    // (IAM's service authorization reference): `*` is the only resource it accepts.
    fn.allow(['dynamodb:ListStreams'], ['*']);
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams supports no resource-level permissions; the event source mapping requires it. It lists stream ARNs only.',
    });
    // No kms:ViaService condition here: stream reads decrypt through DynamoDB Streams, whose ViaService value is not
    // documented; Decrypt alone lets the role read records, not write anything.
    fn.allow(['kms:Decrypt'], [this.encryptionKey.keyArn]);
  }

  // Only through DynamoDB: the role cannot use the key directly, e.g. to decrypt Secrets' data keys.
  private grantKeyUse(fn: ZeroplaneFunction, actions: string[]): void {
    fn.allow(actions, [this.encryptionKey.keyArn], {
      StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` },
    });
  }
}
