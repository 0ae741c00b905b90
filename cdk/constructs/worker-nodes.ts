/**
 * The worker nodes: a VPC with public subnets only (no NAT gateway: $32+ a month each, more than the whole control
 * plane), and an Auto Scaling group of Amazon Linux 2023 arm64 instances whose user data installs Docker and
 * Node.js, fetches the node agent (an S3 asset) and runs it as a systemd service.
 *
 * How a node proves who it is: its IAM instance role, not a bootstrap token in Secrets Manager. The agent sends a
 * presigned sts:GetCallerIdentity request as its bearer credential (as aws-iam-authenticator does for EKS); the API
 * replays it to STS and gets `assumed-role/<NodeRole>/<instance id>`, so each node gets its own identity (what
 * node restriction needs: a node may touch only its own Node, Lease and pods) from a credential EC2 rotates every
 * few hours. A shared bootstrap token would identify no node in particular, would sit on every disk until someone
 * rotates it, and would cost $0.40 a month, close to half the idle cluster's budget. The API learns the role's
 * ARN from NODE_ROLE_ARN.
 */
import { Stack, Tags, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

export interface WorkerNodesProps {
  clusterName: string;
  /** The API server URL the agent talks to (the function URL). */
  apiUrl: string;
  /** Directory holding the bundled agent (index.mjs), uploaded as an S3 asset. */
  agentPath: string;
  /** A Graviton (arm64) type; the AMI is arm64. */
  instanceType: string;
  minNodes: number;
  maxNodes: number;
  vpcCidr: string;
  /** Pod addresses; each node gets a slice (Node.spec.podCIDR) routed in the VPC by the cloud controller. */
  podCidr: string;
  serviceCidr: string;
  /** Sources allowed to reach NodePorts (30000–32767), e.g. for LoadBalancer Services. Default none. */
  nodePortSourceCidrs?: string[];
  /** Root volume size in GiB. Default 20. */
  rootVolumeGiB?: number;
  logRetention: logs.RetentionDays;
  /** How often a node renews its Lease. Default 60 s: each renewal is a billed API call and DynamoDB write, and
   *  Kubernetes' 10 s would cost ~6× more for an idle node (docs/cost.md). The Lease lasts 4 renewals. */
  heartbeatSeconds?: number;
  /** How often a node lists its pods. Default 20 s: a held watch would be billed as API function duration for
   *  every second it is open; a poll costs one short invocation. This is the worst-case pod start delay. */
  podPollSeconds?: number;
}

export const DEFAULT_HEARTBEAT_SECONDS = 60;
export const DEFAULT_POD_POLL_SECONDS = 20;
/** The Lease outlives this many missed renewals before the node lifecycle controller calls the node unknown. */
export const LEASE_RENEWALS_PER_DURATION = 4;

/** The systemd unit that runs the agent; Restart=always because the agent is the node's only control loop. */
const AGENT_UNIT = `[Unit]
Description=Zeroplane node agent
After=docker.service network-online.target
Requires=docker.service
Wants=network-online.target

[Service]
EnvironmentFile=/etc/zeroplane/agent.env
ExecStart=/opt/zeroplane/node /opt/zeroplane/agent/index.mjs
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target`;

export class WorkerNodes extends Construct {
  readonly vpc: ec2.Vpc;
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly userData: ec2.UserData;
  /** The nodes' Lease renewal period (the node lifecycle controller's grace period is derived from it). */
  readonly heartbeatSeconds: number;

  constructor(scope: Construct, id: string, props: WorkerNodesProps) {
    super(scope, id);
    const instanceType = new ec2.InstanceType(props.instanceType);
    if (instanceType.architecture !== ec2.InstanceArchitecture.ARM_64) {
      throw new Error(`nodeInstanceType ${props.instanceType} is not arm64 (Graviton); the node image is AL2023 arm64`);
    }
    if (props.minNodes < 0 || props.maxNodes < props.minNodes) {
      throw new Error(`node counts must satisfy 0 <= minNodes (${props.minNodes}) <= maxNodes (${props.maxNodes})`);
    }

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.vpcCidr),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'nodes', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
      // Rejected traffic only: what an operator needs to debug a Service that does not answer, at a fraction of
      // the volume (and cost) of logging everything.
      flowLogs: {
        rejected: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention })),
        },
      },
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'NodeSecurityGroup', {
      vpc: this.vpc,
      description: `Zeroplane ${props.clusterName} worker nodes`,
      // Nodes pull images and call the API's function URL over the internet (no NAT, no endpoints).
      allowAllOutbound: true,
    });
    // Pod-to-pod across nodes and NodePort hops between nodes.
    this.securityGroup.addIngressRule(this.securityGroup, ec2.Port.allTraffic(), 'node to node (pods, NodePorts)');
    for (const cidr of props.nodePortSourceCidrs ?? []) {
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcpRange(30000, 32767), `NodePorts from ${cidr}`);
    }

    const agent = new s3assets.Asset(this, 'Agent', { path: props.agentPath });
    this.role = new iam.Role(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Zeroplane ${props.clusterName} worker node (its identity towards the API)`,
    });
    // The one object the node needs from AWS directly; everything else goes through the API.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`arn:${Stack.of(this).partition}:s3:::${agent.s3BucketName}/${agent.s3ObjectKey}`],
      }),
    );

    this.heartbeatSeconds = props.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS;
    this.userData = ec2.UserData.forLinux();
    this.userData.addCommands(
      'set -euo pipefail',
      'dnf install -y docker nodejs22 unzip',
      'systemctl enable --now docker',
      // AL2023 installs Node 22 as node-22 when another major is the default; pin the binary the unit runs.
      'mkdir -p /opt/zeroplane/agent /etc/zeroplane',
      'ln -sf "$(command -v node-22 || command -v node)" /opt/zeroplane/node',
      `aws s3 cp 's3://${agent.s3BucketName}/${agent.s3ObjectKey}' /tmp/zeroplane-agent.zip`,
      'unzip -o /tmp/zeroplane-agent.zip -d /opt/zeroplane/agent',
      "cat > /etc/zeroplane/agent.env <<'ENV'",
      `ZEROPLANE_API_URL=${props.apiUrl}`,
      'ZEROPLANE_NODE_AUTH=aws-iam',
      `ZEROPLANE_CLUSTER_NAME=${props.clusterName}`,
      `ZEROPLANE_POD_CIDR=${props.podCidr}`,
      `ZEROPLANE_SERVICE_CIDR=${props.serviceCidr}`,
      `ZEROPLANE_HEARTBEAT_SECONDS=${this.heartbeatSeconds}`,
      `ZEROPLANE_LEASE_DURATION_SECONDS=${this.heartbeatSeconds * LEASE_RENEWALS_PER_DURATION}`,
      'ZEROPLANE_POD_SYNC=poll',
      `ZEROPLANE_POLL_SECONDS=${props.podPollSeconds ?? DEFAULT_POD_POLL_SECONDS}`,
      `AWS_REGION=${Stack.of(this).region}`,
      'ENV',
      "cat > /etc/systemd/system/zeroplane-agent.service <<'UNIT'",
      AGENT_UNIT,
      'UNIT',
      'systemctl daemon-reload',
      'systemctl enable --now zeroplane-agent',
    );

    this.launchTemplate = new ec2.LaunchTemplate(this, 'NodeTemplate', {
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      instanceType,
      role: this.role,
      securityGroup: this.securityGroup,
      userData: this.userData,
      associatePublicIpAddress: true,
      requireImdsv2: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      // One hop: the agent on the host reaches the instance metadata service, containers behind Docker's bridge do
      // not, so pods cannot borrow the node's identity.
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGiB ?? 20, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Nodes', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      launchTemplate: this.launchTemplate,
      minCapacity: props.minNodes,
      maxCapacity: props.maxNodes,
    });
    Tags.of(this.autoScalingGroup).add('zeroplane:cluster', props.clusterName);
    Validations.of(this.autoScalingGroup).acknowledge({
      id: 'AwsSolutions-AS3',
      reason: 'Node arrivals and departures are observed by the cluster itself (Node objects, leases, the node lifecycle controller); an SNS topic would duplicate that.',
    });
  }
}
