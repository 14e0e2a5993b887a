# Stands in for systemd's notify socket: binds a unix datagram socket and prints each message
# on one line (newlines inside a message as "|"). Passed fds (systemd-notify's barrier) are
# dropped by recv(), which closes them, as systemd does after reading.
use strict;
use Socket;
my $path = shift or die "usage: notify-listener.pl PATH\n";
unlink $path;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
bind($s, pack_sockaddr_un($path)) or die "bind $path: $!\n";
$| = 1;
print "LISTENING\n";
while (1) {
  my $buf;
  defined(recv($s, $buf, 65536, 0)) or die "recv: $!\n";
  $buf =~ s/\n+$//;
  $buf =~ s/\n/|/g;
  print "$buf\n";
}
