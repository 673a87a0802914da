// The subset of etcd's v3 API (etcd-io/etcd api/etcdserverpb/rpc.proto) that breakglass uses, with the
// published field numbers: what answers without quorum (Status, Snapshot, Defragment, MemberList) and
// the alarms. Unknown fields in replies are skipped by protobuf, so a newer etcd's extra fields do no harm.
export const ETCD_PROTO = `
syntax = "proto3";
package etcdserverpb;

service Maintenance {
  rpc Alarm(AlarmRequest) returns (AlarmResponse) {}
  rpc Status(StatusRequest) returns (StatusResponse) {}
  rpc Defragment(DefragmentRequest) returns (DefragmentResponse) {}
  rpc Snapshot(SnapshotRequest) returns (stream SnapshotResponse) {}
}

service Cluster {
  rpc MemberList(MemberListRequest) returns (MemberListResponse) {}
}

message ResponseHeader {
  uint64 cluster_id = 1;
  uint64 member_id = 2;
  int64 revision = 3;
  uint64 raft_term = 4;
}

message StatusRequest {}
message StatusResponse {
  ResponseHeader header = 1;
  string version = 2;
  int64 dbSize = 3;
  uint64 leader = 4;
  uint64 raftIndex = 5;
  uint64 raftTerm = 6;
  uint64 raftAppliedIndex = 7;
  repeated string errors = 8;
  int64 dbSizeInUse = 9;
  bool isLearner = 10;
}

message SnapshotRequest {}
message SnapshotResponse {
  ResponseHeader header = 1;
  uint64 remaining_bytes = 2;
  bytes blob = 3;
  string version = 4;
}

message DefragmentRequest {}
message DefragmentResponse { ResponseHeader header = 1; }

enum AlarmType {
  NONE = 0;
  NOSPACE = 1;
  CORRUPT = 2;
}

message AlarmRequest {
  enum AlarmAction {
    GET = 0;
    ACTIVATE = 1;
    DEACTIVATE = 2;
  }
  AlarmAction action = 1;
  uint64 memberID = 2;
  AlarmType alarm = 3;
}
message AlarmMember {
  uint64 memberID = 1;
  AlarmType alarm = 2;
}
message AlarmResponse {
  ResponseHeader header = 1;
  repeated AlarmMember alarms = 2;
}

message MemberListRequest { bool linearizable = 1; }
message Member {
  uint64 ID = 1;
  string name = 2;
  repeated string peerURLs = 3;
  repeated string clientURLs = 4;
  bool isLearner = 5;
}
message MemberListResponse {
  ResponseHeader header = 1;
  repeated Member members = 2;
}
`;
