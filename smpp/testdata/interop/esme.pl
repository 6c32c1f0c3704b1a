#!/usr/bin/perl
# An ESME written with Perl's Net::SMPP (Debian libnet-smpp-perl), an SMPP
# 3.4 implementation that is not Detour's: the peer of
# TestInteropNetSMPPWithSimulator (smpp/interop_test.go), bound to the SMSC
# simulator (sim/smsc).
#
# It binds as a transceiver, sends each --submit as a submit_sm asking for a
# receipt (registered_delivery 1), answers every deliver_sm with
# deliver_sm_resp ESME_ROK and enquire_link with enquire_link_resp, and once
# it has the response to every submit, a receipt for each accepted one and
# --mo mobile-originated messages, sends unbind, waits for unbind_resp and
# exits 0. A refused bind exits 1; end of stream exits 2.
#
# Every event is one JSON line on stdout (flushed at once):
#   {"event":"bound","system_id":"detoursim","status":0}
#   {"event":"submit_sm","seq":2,"destination_addr":...,"data_coding":8,"short_message_hex":...}
#   {"event":"submit_sm_resp","seq":2,"status":0,"message_id":"..."}
#   {"event":"deliver_sm","seq":5,"esm_class":4,"short_message_hex":...,"tlvs":{"30":"..."},...}
#   {"event":"unbind_resp","seq":9,"status":0}
#
# Usage: perl esme.pl --addr HOST:PORT [--system-id ID] [--password PW]
#                     [--submit DEST,DATA_CODING,SHORT_MESSAGE_HEX ...] [--mo N]

use strict;
use warnings;

use Getopt::Long qw(GetOptions);
use JSON::PP ();
use Net::SMPP;

my %opt = ('system-id' => 'esme', password => 'secret', mo => 0, submit => []);
GetOptions(\%opt, 'addr=s', 'system-id=s', 'password=s', 'submit=s@', 'mo=i') or exit 64;
my ($host, $port) = ($opt{addr} || '') =~ /^(.+):(\d+)$/ or die "--addr HOST:PORT is required\n";

$| = 1;
my $json = JSON::PP->new->canonical;
sub out { print $json->encode({@_}), "\n" }
sub hexof { unpack 'H*', defined $_[0] ? $_[0] : '' }

my ($smpp, $resp) = Net::SMPP->new_transceiver($host, port => $port, timeout => 10,
    system_id => $opt{'system-id'}, password => $opt{password},
    system_type => '', interface_version => 0x34);
$smpp or die "connect: $!\n";
$resp or do { out(event => 'eof', during => 'bind'); exit 2 };
out(event => 'bound', system_id => $resp->{system_id}, status => $resp->{status} + 0,
    tlvs => { map { $_ => hexof($resp->{$_}) } grep { /^\d+$/ } keys %$resp });
exit 1 if $resp->{status};

# Submit everything at once, without waiting (async): the responses,
# receipts and MO messages are read below in whatever order they come.
my %pending;    # seq of each submit_sm not yet answered
for my $s (@{ $opt{submit} }) {
    my ($dest, $dc, $hex) = split /,/, $s, 3;
    my $sm = pack 'H*', $hex;
    my $seq = $smpp->submit_sm(async => 1,
        source_addr_ton => 5, source_addr_npi => 0, source_addr => 'PerlESME',
        dest_addr_ton => 1, dest_addr_npi => 1, destination_addr => $dest,
        registered_delivery => 1, data_coding => $dc + 0, short_message => $sm);
    defined $seq or die "submit_sm: write failed\n";
    $pending{$seq} = 1;
    out(event => 'submit_sm', seq => $seq + 0, destination_addr => $dest, data_coding => $dc + 0,
        short_message_hex => hexof($sm));
}

my ($receipts_due, $mo_due) = (0, $opt{mo});
my $unbind_seq;
while (1) {
    if (!defined $unbind_seq && !%pending && $receipts_due <= 0 && $mo_due <= 0) {
        $unbind_seq = $smpp->unbind(async => 1);
        out(event => 'unbind', seq => $unbind_seq + 0);
    }
    my $pdu = $smpp->read_pdu;
    if (!$pdu) {
        out(event => 'eof');
        exit 2;
    }
    my ($cmd, $seq, $status) = ($pdu->{cmd}, $pdu->{seq} + 0, $pdu->{status} + 0);
    if ($cmd == Net::SMPP::CMD_submit_sm_resp) {
        delete $pending{$seq};
        $receipts_due++ if $status == 0;
        out(event => 'submit_sm_resp', seq => $seq, status => $status, message_id => $pdu->{message_id});
    }
    elsif ($cmd == Net::SMPP::CMD_deliver_sm) {
        $smpp->deliver_sm_resp(seq => $seq, message_id => '');
        if ($pdu->{esm_class} & 0x3c) { $receipts_due-- } else { $mo_due-- }
        out(event => 'deliver_sm', seq => $seq,
            (map { $_ => $pdu->{$_} } qw(service_type source_addr destination_addr
                schedule_delivery_time validity_period)),
            (map { $_ => $pdu->{$_} + 0 } qw(source_addr_ton source_addr_npi dest_addr_ton
                dest_addr_npi esm_class protocol_id priority_flag registered_delivery
                replace_if_present_flag data_coding sm_default_msg_id)),
            short_message_hex => hexof($pdu->{short_message}),
            tlvs => { map { $_ => hexof($pdu->{$_}) } grep { /^\d+$/ } keys %$pdu });
    }
    elsif ($cmd == Net::SMPP::CMD_enquire_link) {
        $smpp->enquire_link_resp(seq => $seq);
        out(event => 'enquire_link', seq => $seq);
    }
    elsif ($cmd == Net::SMPP::CMD_unbind_resp) {
        out(event => 'unbind_resp', seq => $seq, status => $status);
        exit 0 if defined $unbind_seq && $seq == $unbind_seq;
    }
    elsif ($cmd == Net::SMPP::CMD_unbind) {
        $smpp->unbind_resp(seq => $seq);
        out(event => 'unbound_by_smsc', seq => $seq);
        exit 2;
    }
    else {
        out(event => 'other', seq => $seq, status => $status, command_id => sprintf('0x%08x', $cmd));
    }
}
