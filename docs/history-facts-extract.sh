#!/bin/bash
# Prints the networking-parameter lines (file:line: text) of time-masternode at COMMIT.
# Used to build and check docs/history-facts.md. Reads the bare mirror; writes nothing.
# usage: docs/history-facts-extract.sh COMMIT [REPO]
set -euo pipefail
C=${1:?commit}
R=${2:-/work/.mirror/time-coin+time-masternode/repo}
git -C "$R" grep -n -E \
  -e 'as_str\(\) >= ip|should_connect_to|octets\(\) [<>]' \
  -e 'retry_delay = |max_failures =|\(retry_delay \* 2\)' \
  -e 'PING_INTERVAL: |PONG_TIMEOUT: |MAX_MISSED_PONGS: |TIMEOUT_CHECK_INTERVAL: |pending_pings.len\(\) >|MAX_PENDING_PINGS: |const TIMEOUT: Duration' \
  -e 'MAX_MESSAGE_SIZE: |MAX_FRAME_SIZE: |MAX_BLOCK_SIZE: |MAX_TX_SIZE: |MAX_VOTE_SIZE: ' \
  -e 'add_temp_ban\(ip, Duration|add_permanent_ban\(ip' \
  -e '\("[a-z_]+"\.to_string\(\), \(Duration|"masternode_announce"|\(Duration::from_secs\([0-9]+\), [0-9]+\),$' \
  -e 'const MAX_[A-Z_]*CONNECTIONS[A-Z_]*: |const RESERVED_MASTERNODE_SLOTS|CONNECTION_RATE_LIMIT_WINDOW: |reserved_masternode_slots = \(' \
  -e 'broadcast::channel\(|with_time\(|with_interval\(' \
  -e 'network: "mainnet"|network: format|magic: \*b"TIME"|magic: self.network_type|MAGIC_BYTES: \[u8; 4\]|let magic_bytes = ' \
  -e 'peer_discovery_interval =|tokio::time::timeout\($|timed out \(10s\)|cleanup_stale_connecting\(Duration' \
  -e '(min_retry_delay_secs|max_retry_delay_secs|backoff_multiplier|max_consecutive_failures|cooldown_period_secs): [0-9]|let delay = if is_masternode' \
  -e 'GOSSIP_INTERVAL_SECS: u64|MIN_PEER_REPORTS: usize|REPORT_EXPIRY_SECS: u64|enable_tls: true' \
  -e 'broadcast\(NetworkMessage::GetMasternodes\)|broadcast\(announcement|HeartbeatBroadcast\(heartbeat\)' \
  -e 'let masternodes = masternode_registry.list_(all|active)|let all_masternodes = masternode_registry.list_all|CONCURRENT_DIALS: usize|BURST_INTERVAL_MS: u64' \
  -e 'register_peer_shared\(self.peer_ip|with_broadcast_rx\(broadcast_rx\)|try_register_inbound\(&ip_str\)|has_outbound \|\| already_registered|let has_outbound = |connection_age < 5' \
  -e 'Err\(_\) => break,|if let Ok\(msg\) = result|failed_parse_count >= 10|max_peers: [0-9]' \
  "$C" -- 'src/network/*.rs' src/main.rs src/ai/adaptive_reconnection.rs src/masternode_registry.rs \
  src/config.rs src/network_type.rs 2>/dev/null \
  | sed "s/^$C://" | grep -v -E 'secure_transport.rs|tracing::|assert' || true
